import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '@hub/platform';
import { webhookSecretCodec, WebhooksRepository } from '@hub/webhooks';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver';
import { startPipelineKit, type PipelineKit } from './pipeline-kit';

// ROUTER_WORKERS on spawned router processes, real stack: each process runs
// only the workers it is given, connects only what they use, and together
// they carry a message from hub.messages.v1 to a business system's webhook.

let kit: PipelineKit;
let etcd: EtcdStore;
let receiver: WebhookReceiver;
const routers: ServiceProcess[] = [];

beforeAll(async () => {
  kit = await startPipelineKit({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32', WEBHOOK_POLL_INTERVAL_MS: '100' });
  etcd = new EtcdStore({ hosts: kit.env.ETCD_HOSTS!.split(','), namespace: kit.env.ETCD_NAMESPACE! });
  receiver = await startWebhookReceiver('127.0.0.1');
}, 120_000);
afterEach(async () => {
  await Promise.allSettled(routers.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await receiver?.close();
  await etcd?.client
    .delete()
    .prefix(kit.env.ETCD_NAMESPACE!)
    .catch(() => {});
  etcd?.close();
  await kit?.cleanup();
});

async function router(workers: string): Promise<ServiceProcess> {
  const r = await spawnService('router', { ...kit.env, ROUTER_WORKERS: workers });
  routers.push(r);
  return r;
}

async function readiness(r: ServiceProcess): Promise<{ status: number; checks: Record<string, { status: string }> }> {
  const res = await fetch(`${r.url}/health/ready`);
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, { status: string }> }).checks };
}

const metric = async (r: ServiceProcess, pattern: RegExp) => Number(pattern.exec(await (await fetch(`${r.url}/metrics`)).text())?.[1] ?? 0);

describe('ROUTER_WORKERS (spawned routers, real stack)', () => {
  it(
    'a notify-only router stores nothing; with a route-only router beside it, the message is stored and its webhook called',
    { timeout: 120_000 },
    async () => {
      const notifier = await router('notify');
      const ready = await readiness(notifier);
      expect(ready.status).toBe(200);
      // Only the notify worker and what it uses: no Redis, no other worker.
      expect(Object.keys(ready.checks).sort()).toEqual(['etcd', 'kafka', 'mongodb', 'worker:notify']);
      expect(notifier.output.some((l) => l.includes('"workers":["notify"]'))).toBe(true);

      const repo = new WebhooksRepository(etcd, webhookSecretCodec({ NODE_ENV: 'test', WEBHOOK_SECRETS_KEY: kit.env.WEBHOOK_SECRETS_KEY }));
      await repo.create('crm', { url: `${receiver.url}/hooks`, events: ['*'] });
      const c = await kit.createConversation(['alice', 'bob']);
      const sent = await kit.produceMessage({ conversation_id: c.conversation_id, from: 'alice', to: ['bob'], submitted_by: 'client:crm' });

      // Nobody routes it yet: the notify-only process does not store messages.
      await new Promise((r) => setTimeout(r, 4_000));
      expect(await kit.stored(c.conversation_id)).toHaveLength(0);
      expect(receiver.calls).toHaveLength(0);

      const routing = await router('route');
      const routeReady = await readiness(routing);
      expect(routeReady.status).toBe(200);
      expect(Object.keys(routeReady.checks).sort()).toEqual(['etcd', 'kafka', 'mongodb', 'redis', 's3', 'worker:route']);

      const [stored] = await kit.waitStored(c.conversation_id, 1);
      expect(stored).toMatchObject({ message_id: sent.message_id, sequence_number: 1 });
      // bob has no live session: `pending`, published by the route process, called out by the notify process.
      const call = await eventually(
        () => receiver.calls.find((k) => (JSON.parse(k.body) as { data: { message_id: string } }).data.message_id === sent.message_id),
        { what: 'the webhook call', timeoutMs: 30_000 },
      );
      expect(JSON.parse(call.body)).toMatchObject({
        type: 'message.pending',
        data: { message_id: sent.message_id, recipient: 'bob', channel: 'internal', status: 'pending' },
      });
      // Counted once the call's outcome is recorded, a moment after the receiver answered.
      await eventually(async () => (await metric(notifier, /^webhook_attempts_total\{[^}]*outcome="delivered"[^}]*\} (\d+)/m)) === 1, {
        what: 'the notify router to count its call',
      });
      expect(await metric(routing, /^webhook_attempts_total\{[^}]*\} (\d+)/m)).toBe(0);
      expect(await metric(routing, /^hub_messages_persisted_total(?:\{[^}]*\})? (\d+)/m)).toBe(1);
      expect(await metric(notifier, /^hub_messages_persisted_total(?:\{[^}]*\})? (\d+)/m)).toBe(0);
      // Neither process runs the status writer: the status history stays empty.
      expect(await kit.db.collection('status_events').countDocuments({})).toBe(0);
    },
  );

  it('an unknown worker name stops the router at boot with exit code 78, naming it and the valid names', { timeout: 60_000 }, async () => {
    const err = await spawnService('router', { ...kit.env, ROUTER_WORKERS: 'route,notfy' }, { timeoutMs: 30_000 }).catch(
      (e: Error) => e.message,
    );
    expect(err).toMatch(/exited with 78/);
    expect(err).toContain(
      'ROUTER_WORKERS is invalid ("route,notfy"): unknown worker "notfy"; valid names: route, retry, sweep, status, notify',
    );
  });
});
