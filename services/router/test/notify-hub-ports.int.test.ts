import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@hub/domain';
import { ReservedPorts, reservedPortsFromConfig } from '@hub/webhooks';
import { eventually } from '../../../test/support/spawn-service';
import { stackEnv } from '../../../test/support/stack-env';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver';
import { startNotifyKit, type NotifyKit } from './notify-kit';

// Issue 22, finding 3, at send time: the allow-list covers all of loopback,
// yet the hub's own ports stay out of reach. The registrations are written
// straight into etcd, as if they had passed the API's checks before the
// name's addresses (or the hub's ports) changed; the dispatcher refuses
// them without connecting, so nothing those servers would answer reaches
// the delivery log.

let kit: NotifyKit;
let reserved: ReservedPorts;
const receivers: WebhookReceiver[] = [];
beforeAll(async () => {
  const env = stackEnv();
  reserved = reservedPortsFromConfig({
    KAFKA_BROKERS: env.KAFKA_BROKERS!.split(','),
    MONGO_URL: env.MONGO_URL!,
    ETCD_HOSTS: env.ETCD_HOSTS!.split(','),
    REDIS_URL: env.REDIS_URL!,
    S3_ENDPOINT: env.S3_ENDPOINT!,
  });
  kit = await startNotifyKit({ allowedCidrs: ['127.0.0.0/8'], reserved });
});
afterAll(async () => {
  await kit?.close();
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function decided(url: string) {
  const client = `crm-${newId().slice(-12)}`;
  const wh = await kit.repo.create(client, { url, events: ['message.sent'] });
  await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
  return eventually(
    async () => {
      const [x] = await kit.store.list(wh.webhook_id, { limit: 1 });
      return x && x.state !== 'pending' ? x : undefined;
    },
    { what: 'the delivery to be decided', timeoutMs: 20_000 },
  );
}

describe('notify worker with loopback allow-listed', () => {
  it('never calls a stack server (etcd, S3) and keeps none of its answer', async () => {
    const env = stackEnv();
    for (const [base, what] of [
      [env.ETCD_HOSTS!.split(',')[0]!, /hub's own etcd server \(ETCD_HOSTS\)/],
      [env.S3_ENDPOINT!, /hub's own S3 server \(S3_ENDPOINT\)/],
    ] as const) {
      const d = await decided(`${base}/v3/kv/range`);
      expect(d.state, base).toBe('failed');
      expect(d.last_error, base).toMatch(what);
      expect(
        d.attempts.map((a) => [a.status_code, a.response_body]),
        base,
      ).toEqual([[undefined, undefined]]);
    }
  });

  it('refuses a listening server on a reserved port without sending, and delivers to the same address on another port', async () => {
    const hub = await startWebhookReceiver('127.0.0.1');
    const other = await startWebhookReceiver('127.0.0.1');
    receivers.push(hub, other);
    reserved.add(hub.port, 'frontend service (FRONTEND_PORT)');
    const refused = await decided(`http://127.1:${hub.port}/hook`);
    expect(refused.last_error).toMatch(/where the hub's own frontend service \(FRONTEND_PORT\) listens/);
    expect(hub.calls).toHaveLength(0);
    const ok = await decided(`${other.url}/hook`);
    expect(ok.state).toBe('succeeded');
    expect(other.calls).toHaveLength(1);
  });
});
