import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@hub/domain';
import { eventually } from '../../../test/support/spawn-service';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver';
import { startNotifyKit, type NotifyKit } from './notify-kit';

// A notify worker with no allowlist, as in production: a receiver on this
// machine is an internal address like any other. The registrations are
// written straight into etcd, as if they had passed the API's checks and
// their addresses changed afterwards; the dispatcher must refuse them at
// delivery time without sending anything.

let kit: NotifyKit;
const receivers: WebhookReceiver[] = [];
beforeAll(async () => {
  kit = await startNotifyKit({ allowedCidrs: [] });
});
afterAll(async () => {
  await kit?.close();
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function refusedDelivery(url: (r: WebhookReceiver) => string) {
  const r = await startWebhookReceiver('127.0.0.1');
  receivers.push(r);
  const client = `crm-${newId().slice(-12)}`;
  const wh = await kit.repo.create(client, { url: url(r), events: ['message.sent'] });
  await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
  const d = await eventually(
    async () => {
      const [x] = await kit.store.list(wh.webhook_id, { limit: 1 });
      return x && x.state !== 'pending' ? x : undefined;
    },
    { what: 'the delivery to be decided', timeoutMs: 20_000 },
  );
  return { d, r, client, wh };
}

describe('notify worker without an allowlist', () => {
  it('refuses 127.0.0.1 and sends nothing', async () => {
    const { d, r, client, wh } = await refusedDelivery((rx) => `${rx.url}/hook`);
    expect(d).toMatchObject({
      state: 'failed',
      attempt_count: 1,
      last_error: '127.0.0.1 is a loopback address (127.0.0.0/8); webhooks are not sent to internal addresses',
    });
    expect(d.attempts[0]!.status_code).toBeUndefined();
    expect(r.calls).toHaveLength(0);
    // The refusal counts as a failure of the endpoint (visible in the API as failing_since).
    await eventually(async () => (await kit.repo.get(client, wh.webhook_id))?.failing_since, { what: 'failing_since' });
  });

  it('refuses a host name that resolves to a loopback address (localhost through the system resolver)', async () => {
    const { d, r } = await refusedDelivery((rx) => `http://localhost:${rx.port}/hook`);
    expect(d.state).toBe('failed');
    expect(d.last_error).toMatch(/^host localhost resolves to (127\.0\.0\.1|::1), (a|the) loopback address/);
    expect(r.calls).toHaveLength(0);
  });

  it('refuses an IPv4-mapped IPv6 form of a loopback address', async () => {
    const { d, r } = await refusedDelivery((rx) => `http://[::ffff:127.0.0.1]:${rx.port}/hook`);
    expect(d.last_error).toMatch(/IPv4-mapped 127\.0\.0\.1\) is a loopback address/);
    expect(r.calls).toHaveLength(0);
  });
});
