import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@hub/domain';
import { eventually } from '../../../test/support/spawn-service';
import {
  startWebhookReceiver,
  verifyWebhookSignature,
  type ReceivedCall,
  type WebhookReceiver,
} from '../../../test/support/webhook-receiver';
import { startNotifyKit, type NotifyKit } from './notify-kit';

// The notify worker on the real Kafka, MongoDB and etcd, calling real HTTP
// receivers on loopback (127.0.0.1 is allowlisted for this suite; nothing
// else local is). Events are published to hub.status.v1 / hub.files.v1 the
// way the pipeline publishes them.

let kit: NotifyKit;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  kit = await startNotifyKit({ disableAfterMs: 2_000, timeoutMs: 5_000, maxInFlight: 4, maxInFlightPerEndpoint: 2 });
});
afterAll(async () => {
  await kit?.close();
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(host?: string, reply?: WebhookReceiver['reply']): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(host, reply);
  receivers.push(r);
  return r;
}

const owner = () => `crm-${newId().slice(-12)}`;
const payloadOf = (call: ReceivedCall) => JSON.parse(call.body) as { type: string; timestamp: string; data: Record<string, unknown> };

describe('notify worker: signed status webhooks', () => {
  it('delivers sent → delivered → read of a message as three signed calls in status order', async () => {
    // The first event is answered slowly: a dispatcher that sent the next
    // event before this call finished could deliver them out of order.
    const r = await receiver('127.0.0.1', (call) =>
      payloadOf(call).type === 'message.sent' ? { status: 200, body: 'ok', delayMs: 300 } : { status: 204 },
    );
    const client = owner();
    const wh = await kit.repo.create(client, {
      url: `${r.url}/hooks/status?src=hub`,
      events: ['message.sent', 'message.delivered', 'message.read'],
    });
    const messageId = newId();
    const ids: string[] = [];
    for (const status of ['sent', 'delivered', 'read'] as const)
      ids.push(
        await kit.publishStatus({
          message_id: messageId,
          status,
          submitted_by: `client:${client}`,
          detail: status === 'sent' ? 'handed to websocket' : undefined,
        }),
      );

    await eventually(() => r.calls.length >= 3 && r.calls[2]!.respondedAt, { what: 'three webhook calls', timeoutMs: 20_000 });
    expect(r.calls.map((c) => payloadOf(c).type)).toEqual(['message.sent', 'message.delivered', 'message.read']);
    // One call at a time per message: each starts only after the previous one was answered.
    expect(r.calls[1]!.receivedAt).toBeGreaterThanOrEqual(r.calls[0]!.respondedAt!);
    expect(r.calls[2]!.receivedAt).toBeGreaterThanOrEqual(r.calls[1]!.respondedAt!);
    expect(r.calls.map((c) => c.headers['webhook-id'])).toEqual(ids.map((id) => `msg_${id}`));
    for (const call of r.calls) {
      expect(call.method).toBe('POST');
      expect(call.path).toBe('/hooks/status?src=hub');
      expect(call.headers['content-type']).toBe('application/json');
      expect(verifyWebhookSignature(wh.secret, call)).toBe(true);
      // A signature made with another secret must not verify: the check above is not vacuous.
      expect(verifyWebhookSignature('whsec_' + Buffer.alloc(32, 1).toString('base64'), call)).toBe(false);
      expect(Math.abs(Number(call.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    }
    const first = payloadOf(r.calls[0]!);
    expect(first.data).toMatchObject({
      message_id: messageId,
      recipient: 'bob',
      channel: 'internal',
      status: 'sent',
      detail: 'handed to websocket',
      from: 'crm',
    });
    expect(typeof first.data.conversation_id).toBe('string');
    expect(first.timestamp).toBe(first.data.occurred_at);
  });

  it('keeps status order per message on every endpoint while different messages proceed side by side', async () => {
    const fast = await receiver('127.0.0.1');
    const slow = await receiver('127.0.0.1', (call) => ({ status: 200, delayMs: payloadOf(call).type === 'message.sent' ? 200 : 0 }));
    const client = owner();
    await kit.repo.create(client, { url: `${fast.url}/`, events: ['*'] });
    await kit.repo.create(client, { url: `${slow.url}/`, events: ['message.sent', 'message.delivered', 'message.read'] });
    const messages = [newId(), newId(), newId()];
    for (const m of messages)
      for (const status of ['sent', 'delivered', 'read'] as const)
        await kit.publishStatus({ message_id: m, status, submitted_by: `client:${client}` });
    await eventually(() => slow.calls.length >= 9 && fast.calls.length >= 9, { what: 'nine calls on each receiver', timeoutMs: 20_000 });
    for (const rec of [fast, slow]) {
      for (const m of messages) {
        const mine = rec.calls.map(payloadOf).filter((p) => p.data.message_id === m);
        expect(mine.map((p) => p.type)).toEqual(['message.sent', 'message.delivered', 'message.read']);
      }
    }
    for (const m of messages) {
      const calls = slow.calls.filter((c) => payloadOf(c).data.message_id === m);
      expect(calls[1]!.receivedAt).toBeGreaterThanOrEqual(calls[0]!.respondedAt!);
    }
    // The slow endpoint had two messages' calls open at once (its per-endpoint limit is 2): messages do not queue behind each other.
    const overlapping = slow.calls.some((c, i) => i > 0 && c.receivedAt < (slow.calls[i - 1]!.respondedAt ?? Infinity));
    expect(overlapping).toBe(true);
  });

  it('puts a status back in order when it reached the partition after a later one', async () => {
    // sent and delivered come from different producers (router, presence), so delivered can land first.
    // The receiver does not answer at first (the call times out after 5 s), so the first event is still pending when the second arrives.
    let up = false;
    const r = await receiver('127.0.0.1', () => (up ? { status: 200 } : 'hang'));
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['*'] });
    const m = newId();
    await kit.publishStatus({ message_id: m, status: 'delivered', submitted_by: `client:${client}` });
    await kit.publishStatus({ message_id: m, status: 'sent', submitted_by: `client:${client}` });
    await eventually(async () => (await kit.store.list(wh.webhook_id, { limit: 5 })).length === 2, { what: 'both deliveries queued' });
    up = true;
    await eventually(async () => (await kit.store.list(wh.webhook_id, { limit: 5, state: 'succeeded' })).length === 2, {
      what: 'both delivered',
      timeoutMs: 40_000,
    });
    const successes = (await kit.store.list(wh.webhook_id, { limit: 5 }))
      .map((d) => ({ type: d.event_type, at: d.attempts.find((a) => a.status_code === 200)!.at.getTime() }))
      .sort((x, y) => x.at - y.at)
      .map((x) => x.type);
    expect(successes).toEqual(['message.sent', 'message.delivered']);
  });

  it('sends an event that arrives twice (same envelope) once', async () => {
    const r = await receiver();
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.delivered'] });
    const m = newId();
    const event = {
      message_id: m,
      status: 'delivered' as const,
      submitted_by: `client:${client}`,
      conversation_id: newId(),
      occurred_at: new Date().toISOString(),
    };
    const id = await kit.publishStatus(event);
    await eventually(() => r.calls.length >= 1, { what: 'the first copy' });
    // The first copy is finished and off the queue before the second arrives.
    const [first] = await kit.store.list(wh.webhook_id, { limit: 1 });
    await eventually(async () => (await kit.store.pending(first!.delivery_id)) === undefined, { what: 'the first copy off the queue' });
    await kit.publishStatus(event, id);
    const marker = newId();
    await kit.publishStatus({ message_id: marker, status: 'delivered', submitted_by: `client:${client}` });
    await eventually(() => r.calls.some((c) => payloadOf(c).data.message_id === marker), { what: 'the marker' });
    expect(r.calls.filter((c) => payloadOf(c).data.message_id === m)).toHaveLength(1);
  });

  it('sends only subscribed events of the owner’s own messages and files', async () => {
    const mine = await receiver();
    const theirs = await receiver();
    const a = owner();
    const b = owner();
    await kit.repo.create(a, { url: `${mine.url}/a`, events: ['message.failed', 'file.completed'] });
    await kit.repo.create(b, { url: `${theirs.url}/b`, events: ['*'] });
    const m = newId();
    await kit.publishStatus({ message_id: m, status: 'sent', submitted_by: `client:${a}` }); // not subscribed by a
    await kit.publishStatus({ message_id: m, status: 'failed', submitted_by: `client:${a}`, detail: 'no_mapping' });
    await kit.publishStatus({ message_id: newId(), status: 'failed', submitted_by: 'user:alice' }); // an end user's message: no owner
    const fileId = newId();
    await kit.publishFile({
      file_id: fileId,
      filename: 'a.pdf',
      size: 3,
      content_type: 'application/pdf',
      sha256: 'a'.repeat(64),
      status: 'completed',
      uploaded_by: `client:${a}`,
      completed_at: new Date().toISOString(),
    });
    const marker = newId();
    await kit.publishStatus({ message_id: marker, status: 'read', submitted_by: `client:${b}` });

    await eventually(() => mine.calls.length >= 2 && theirs.calls.length >= 1, { what: 'calls to both owners', timeoutMs: 20_000 });
    // b's marker arrived after a's events were processed (same worker); give stragglers a moment anyway.
    await new Promise((res) => setTimeout(res, 300));
    expect(mine.calls.map((c) => payloadOf(c).type).sort()).toEqual(['file.completed', 'message.failed']);
    const failed = mine.calls.map(payloadOf).find((p) => p.type === 'message.failed')!;
    expect(failed.data).toMatchObject({ message_id: m, status: 'failed', detail: 'no_mapping' });
    const file = mine.calls.map(payloadOf).find((p) => p.type === 'file.completed')!;
    expect(file.data).toMatchObject({ file_id: fileId, filename: 'a.pdf', uploaded_by: `client:${a}` });
    // b receives only its own message's event, nothing of a's.
    expect(theirs.calls.map((c) => payloadOf(c).data.message_id)).toEqual([marker]);
  });
});

describe('notify worker: retries, log and re-send', () => {
  it('retries a failing receiver on the schedule and delivers with the same webhook-id', async () => {
    const r = await receiver('127.0.0.1', (_call, n) => (n <= 3 ? { status: 500, body: `down ${n}` } : { status: 200, body: 'finally' }));
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.delivered'] });
    const envelopeId = await kit.publishStatus({ message_id: newId(), status: 'delivered', submitted_by: `client:${client}` });
    await eventually(() => r.calls.length >= 4, { what: 'four attempts', timeoutMs: 20_000 });
    expect(new Set(r.calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([`msg_${envelopeId}`]));
    expect(new Set(r.calls.map((c) => c.body)).size).toBe(1);
    for (const c of r.calls) expect(verifyWebhookSignature(wh.secret, c)).toBe(true);
    // The waits follow the configured schedule (100, 200, 300 ms here).
    const gaps = r.calls.slice(1).map((c, i) => c.receivedAt - r.calls[i]!.receivedAt);
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(180);
    expect(gaps[2]).toBeGreaterThanOrEqual(270);

    const [delivery] = await eventually(
      async () => {
        const list = await kit.store.list(wh.webhook_id, { limit: 5 });
        return list[0]?.state === 'succeeded' ? list : undefined;
      },
      { what: 'delivery to succeed' },
    );
    expect(delivery!.attempts.map((a) => [a.attempt, a.status_code, a.response_body])).toEqual([
      [1, 500, 'down 1'],
      [2, 500, 'down 2'],
      [3, 500, 'down 3'],
      [4, 200, 'finally'],
    ]);
    expect(delivery!.attempts[0]!.error).toBe('receiver answered 500');
    // Four 500s in a row marked the endpoint as failing; the success cleared it.
    await eventually(async () => (await kit.repo.get(client, wh.webhook_id))?.failing_since === undefined, {
      what: 'failing_since cleared',
    });
  });

  it('logs every attempt, gives up after the last one, and re-sends on request', async () => {
    let healthy = false;
    const r = await receiver('127.0.0.1', () => (healthy ? { status: 202 } : { status: 503, body: 'x'.repeat(1_000) }));
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.read'] });
    await kit.publishStatus({ message_id: newId(), status: 'read', submitted_by: `client:${client}` });
    const failed = await eventually(
      async () => {
        const [d] = await kit.store.list(wh.webhook_id, { limit: 1 });
        return d?.state === 'failed' ? d : undefined;
      },
      { what: 'delivery to fail after all attempts', timeoutMs: 20_000 },
    );
    expect(r.calls).toHaveLength(4);
    expect(failed.attempt_count).toBe(4);
    expect(failed.attempts.map((a) => a.status_code)).toEqual([503, 503, 503, 503]);
    // Response bodies are kept only up to the configured limit (256 bytes here).
    expect(failed.attempts[0]!.response_body).toBe('x'.repeat(256));
    expect(failed.last_error).toBe('receiver answered 503');

    healthy = true;
    await kit.store.requeue(wh.webhook_id, failed.delivery_id, new Date());
    const resent = await eventually(
      async () => {
        const d = await kit.store.get(wh.webhook_id, failed.delivery_id);
        return d?.state === 'succeeded' ? d : undefined;
      },
      { what: 'manual re-send to succeed' },
    );
    expect(r.calls).toHaveLength(5);
    expect(r.calls[4]!.headers['webhook-id']).toBe(r.calls[0]!.headers['webhook-id']);
    expect(resent.attempts.at(-1)).toMatchObject({ attempt: 5, status_code: 202, manual: true });
  });

  it('a receiver that hangs does not delay deliveries to a healthy receiver', async () => {
    const healthyRx = await receiver('127.0.0.1');
    const hangingRx = await receiver('127.0.0.1', () => 'hang');
    const client = owner();
    await kit.repo.create(client, { url: `${healthyRx.url}/`, events: ['message.sent'] });
    const latencies = async (n: number): Promise<number[]> => {
      const before = healthyRx.calls.length;
      const sentAt = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const m = newId();
        sentAt.set(m, Date.now());
        await kit.publishStatus({ message_id: m, status: 'sent', submitted_by: `client:${client}` });
      }
      await eventually(() => healthyRx.calls.length >= before + n, { what: `${n} healthy calls`, timeoutMs: 30_000 });
      return healthyRx.calls.slice(before).map((c) => c.receivedAt - sentAt.get(String(payloadOf(c).data.message_id))!);
    };
    const baseline = await latencies(10);

    // The same owner's second endpoint hangs on every call (timeout 5 s here) and gets the same events.
    await kit.repo.create(client, { url: `${hangingRx.url}/`, events: ['message.sent'] });
    await new Promise((res) => setTimeout(res, 200));
    const underLoad = await latencies(10);
    await eventually(() => hangingRx.calls.length >= 2, { what: 'the hanging receiver to be called' });

    const max = (xs: number[]) => Math.max(...xs);
    console.log(
      `healthy receiver latency: baseline max ${max(baseline)} ms, with a hanging receiver max ${max(underLoad)} ms (timeout 5000 ms)`,
    );
    // Waiting behind even one hanging call would take the whole 5 s timeout
    // (the process-wide limit is 4 calls here, so without per-endpoint queues
    // the hanging endpoint would hold every slot).
    expect(max(underLoad)).toBeLessThan(5_000);
    expect(max(underLoad)).toBeLessThan(max(baseline) + 2_500);
  });

  it('disables an endpoint that fails continuously and shows why', async () => {
    const r = await receiver('127.0.0.1', () => ({ status: 500, body: 'broken' }));
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.sent'] });
    const stop = Date.now() + 15_000;
    let disabled;
    while (Date.now() < stop) {
      await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
      disabled = await kit.repo.get(client, wh.webhook_id);
      if (disabled?.disabled_at) break;
      await new Promise((res) => setTimeout(res, 400));
    }
    expect(disabled?.disabled_at).toBeTruthy();
    expect(disabled?.active).toBe(false);
    expect(disabled?.disabled_reason).toMatch(/every attempt failed since .*; last error: receiver answered 500/);
    // Nothing more is sent, and what was still pending fails with the reason.
    const callsAtDisable = r.calls.length;
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    await eventually(async () => (await kit.store.list(wh.webhook_id, { limit: 100, state: 'pending' })).length === 0, {
      what: 'pending deliveries to be failed',
    });
    await new Promise((res) => setTimeout(res, 500));
    expect(r.calls.length).toBeLessThanOrEqual(callsAtDisable + 2);
    const log = await kit.store.list(wh.webhook_id, { limit: 100 });
    expect(log.some((d) => d.last_error?.startsWith('webhook disabled:'))).toBe(true);
  });
});

describe('notify worker: recovery', () => {
  it('takes over a delivery that a crashed dispatcher left leased, once the lease ran out', async () => {
    const r = await receiver();
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.sent'] });
    const deliveryId = newId();
    // As a router that queued it and died would leave it: pending, with a lease that has just run out.
    await kit.store.enqueue(
      [
        {
          delivery_id: deliveryId,
          webhook_id: wh.webhook_id,
          owner: client,
          event_id: 'msg_left-behind',
          event_type: 'message.sent',
          body: '{"type":"message.sent","timestamp":"2026-01-01T00:00:00.000Z","data":{}}',
          created_at: new Date(),
          max_attempts: 4,
        },
      ],
      new Date(Date.now() - 1),
      'a-router-that-died',
    );
    await eventually(() => r.calls.length >= 1, { what: 'the recovered delivery', timeoutMs: 20_000 });
    expect(r.calls[0]!.headers['webhook-id']).toBe('msg_left-behind');
    expect(verifyWebhookSignature(wh.secret, r.calls[0]!)).toBe(true);
    await eventually(async () => (await kit.store.get(wh.webhook_id, deliveryId))?.state === 'succeeded', { what: 'logged as succeeded' });
    expect(r.calls).toHaveLength(1);
  });
});

describe('notify worker: rotation and deletion', () => {
  it('signs with both secrets during the grace period and with the new one after it', async () => {
    const r = await receiver();
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.sent'] });
    const rotated = (await kit.repo.rotateSecret(client, wh.webhook_id, 1_500))!;
    expect(rotated.secret).not.toBe(wh.secret);
    // The worker's cache follows etcd through its watch.
    await new Promise((res) => setTimeout(res, 200));
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    await eventually(() => r.calls.length >= 1, { what: 'call during grace' });
    const during = r.calls[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhookSignature(rotated.secret, during)).toBe(true);
    expect(verifyWebhookSignature(wh.secret, during)).toBe(true);

    await new Promise((res) => setTimeout(res, 1_600));
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    await eventually(() => r.calls.length >= 2, { what: 'call after grace' });
    const after = r.calls[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyWebhookSignature(rotated.secret, after)).toBe(true);
    expect(verifyWebhookSignature(wh.secret, after)).toBe(false);
  });

  it('stops deliveries once the webhook is deleted, including pending retries', async () => {
    const r = await receiver('127.0.0.1', (_c, n) => (n === 1 ? { status: 200 } : { status: 500 }));
    const canary = await receiver();
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.sent', 'message.read'] });
    await kit.repo.create(client, { url: `${canary.url}/`, events: ['message.delivered'] });
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    await eventually(() => r.calls.length >= 1, { what: 'first delivery' });
    // The next event fails and waits for its retry (schedule 100 ms, 200 ms, 300 ms)…
    await kit.publishStatus({ message_id: newId(), status: 'read', submitted_by: `client:${client}` });
    await eventually(() => r.calls.length >= 2, { what: 'failing attempt' });
    // …when the webhook is deleted.
    await kit.repo.delete(client, wh.webhook_id);
    const callsAtDelete = r.calls.length;
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    await kit.publishStatus({ message_id: newId(), status: 'delivered', submitted_by: `client:${client}` });
    await eventually(() => canary.calls.length >= 1, { what: 'canary after deletion' });
    await eventually(async () => (await kit.store.list(wh.webhook_id, { limit: 10, state: 'pending' })).length === 0, {
      what: 'pending retry failed',
    });
    await new Promise((res) => setTimeout(res, 800));
    // At most the one attempt that may already have been in flight when the deletion landed.
    expect(r.calls.length).toBeLessThanOrEqual(callsAtDelete + 1);
    const log = await kit.store.list(wh.webhook_id, { limit: 10 });
    expect(log.find((d) => d.event_type === 'message.read')).toMatchObject({ state: 'failed', last_error: 'webhook deleted' });
    expect(log.filter((d) => d.event_type === 'message.sent')).toHaveLength(1);
  });
});

describe('notify worker: SSRF protection at delivery time', () => {
  // The registrations below are written straight into etcd, as if the URL
  // had passed the API's checks and its DNS answer changed later.
  async function onlyAttempt(webhookId: string) {
    return eventually(
      async () => {
        const [d] = await kit.store.list(webhookId, { limit: 1 });
        return d && d.state !== 'pending' ? d : undefined;
      },
      { what: 'the delivery to finish', timeoutMs: 20_000 },
    );
  }

  it('refuses a host name that resolves to a non-allowlisted loopback address, without connecting', async () => {
    const target = await receiver('127.0.0.2');
    kit.resolver.names.set('hooks.rebind.test', [{ address: '127.0.0.2', family: 4 }]);
    const client = owner();
    const wh = await kit.repo.create(client, { url: `http://hooks.rebind.test:${target.port}/`, events: ['message.sent'] });
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    const d = await onlyAttempt(wh.webhook_id);
    expect(d.state).toBe('failed');
    // A policy refusal is final: one attempt, not the whole schedule.
    expect(d.attempts).toHaveLength(1);
    expect(d.last_error).toBe(
      'host hooks.rebind.test resolves to 127.0.0.2, a loopback address (127.0.0.0/8); webhooks are not sent to internal addresses',
    );
    expect(target.calls).toHaveLength(0);
  });

  it('refuses [::1]', async () => {
    const target = await receiver('::1');
    const client = owner();
    const wh = await kit.repo.create(client, { url: `http://[::1]:${target.port}/`, events: ['message.sent'] });
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    const d = await onlyAttempt(wh.webhook_id);
    expect(d).toMatchObject({
      state: 'failed',
      last_error: '::1 is the loopback address (::1); webhooks are not sent to internal addresses',
    });
    expect(target.calls).toHaveLength(0);
  });

  it('does not follow a redirect to an internal address', async () => {
    const internal = await receiver('127.0.0.2');
    const r = await receiver('127.0.0.1', () => ({ status: 307, headers: { location: `http://127.0.0.2:${internal.port}/admin` } }));
    const client = owner();
    const wh = await kit.repo.create(client, { url: `${r.url}/`, events: ['message.sent'] });
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    const d = await onlyAttempt(wh.webhook_id);
    expect(d.state).toBe('failed');
    expect(d.attempts[0]).toMatchObject({
      status_code: 307,
      error: `redirect (307 to http://127.0.0.2:${internal.port}/admin) not followed; register the final URL`,
    });
    expect(internal.calls).toHaveLength(0);
  });
});
