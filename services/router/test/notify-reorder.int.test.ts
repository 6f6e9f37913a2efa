import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@hub/domain';
import { eventually } from '../../../test/support/spawn-service';
import { startWebhookReceiver, type ReceivedCall, type WebhookReceiver } from '../../../test/support/webhook-receiver';
import { startNotifyKit, type NotifyKit } from './notify-kit';

// The reorder window on the real Kafka, MongoDB and etcd: `delivered`
// (from presence) can reach hub.status.v1 before `sent` (from the router);
// the receiver, answering at once, still sees sent → delivered → read.

let kit: NotifyKit;
let r: WebhookReceiver;

beforeAll(async () => {
  kit = await startNotifyKit({ reorderWindowMs: 3_000 });
  r = await startWebhookReceiver('127.0.0.1');
});
afterAll(async () => {
  await r?.close();
  await kit?.close();
});

const typeOf = (call: ReceivedCall) => (JSON.parse(call.body) as { type: string }).type;

describe('notify worker: reorder window', () => {
  it('a delivered and read that reached the topic before their sent go out after it', { timeout: 30_000 }, async () => {
    const client = `crm-${newId().slice(-12)}`;
    await kit.repo.create(client, { url: `${r.url}/`, events: ['message.sent', 'message.delivered', 'message.read'] });
    const m = newId();
    await kit.publishStatus({ message_id: m, status: 'delivered', submitted_by: `client:${client}` });
    await kit.publishStatus({ message_id: m, status: 'read', submitted_by: `client:${client}` });
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Both are waiting for the sent, well within the window.
    expect(r.calls).toHaveLength(0);
    await kit.publishStatus({ message_id: m, status: 'sent', submitted_by: `client:${client}` });
    await eventually(() => r.calls.length >= 3, { what: 'three calls', timeoutMs: 10_000 });
    expect(r.calls.map(typeOf)).toEqual(['message.sent', 'message.delivered', 'message.read']);
    // Released by the sent, not by the window running out.
    expect(r.calls[2]!.receivedAt - r.calls[0]!.receivedAt).toBeLessThan(1_500);
  });

  it('sends a delivered whose sent never comes once the window is over', { timeout: 30_000 }, async () => {
    const client = `crm-${newId().slice(-12)}`;
    await kit.repo.create(client, { url: `${r.url}/other`, events: ['message.delivered'] });
    const m = newId();
    const before = r.calls.length;
    const published = Date.now();
    await kit.publishStatus({ message_id: m, status: 'delivered', submitted_by: `client:${client}` });
    const call = await eventually(() => r.calls.slice(before).find((c) => c.path === '/other'), {
      what: 'the delivered call',
      timeoutMs: 10_000,
    });
    expect(typeOf(call)).toBe('message.delivered');
    expect(call.receivedAt - published).toBeGreaterThanOrEqual(2_500);
  });
});
