import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from './support/ws-client';
import {
  adminToken,
  cleanupTestEnv,
  createApiClient,
  registerAndLogin,
  testFrontendEnv,
  type TestApiClient,
  type TestUser,
} from './support/identity';
import { eventually, spawnService, type ServiceProcess } from './support/spawn-service';
import { startWebhookReceiver, verifyWebhookSignature, type ReceivedCall, type WebhookReceiver } from './support/webhook-receiver';

// Status webhooks end to end, every service its own process on the real
// stack: a business system (API client) registers webhooks and sends a
// message over REST; the recipient is online on a presence node and acks
// and reads it; the router's notify worker calls the client's receiver,
// signed. 127.0.0.1 is allowlisted for the receivers; retries are shortened.

let env: Record<string, string>;
let frontend: ServiceProcess;
let router: ServiceProcess;
let presence: ServiceProcess;
let admin: string;
const receivers: WebhookReceiver[] = [];
const sockets: TestClient[] = [];

beforeAll(async () => {
  env = testFrontendEnv({
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
    WEBHOOK_RETRY_SCHEDULE_MS: '100,200,300',
    WEBHOOK_RETRY_JITTER: '0',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    WEBHOOK_RECOVERY_INTERVAL_MS: '1000',
    RATE_LIMIT_PER_MIN: '1000000',
  });
  [frontend, router, presence] = await Promise.all([
    spawnService('frontend', env),
    spawnService('router', env),
    spawnService('presence', env),
  ]);
  admin = await adminToken(frontend.url, env);
}, 180_000);
afterAll(async () => {
  await Promise.allSettled(sockets.map((s) => s.close()));
  await Promise.allSettled([frontend, router, presence].filter(Boolean).map((s) => s.stop()));
  if (env) await cleanupTestEnv(env);
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${frontend.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function receiver(reply?: WebhookReceiver['reply']): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver('127.0.0.1', reply);
  receivers.push(r);
  return r;
}

const payload = (c: ReceivedCall) => JSON.parse(c.body) as { type: string; data: Record<string, any> };
const ofMessage = (r: WebhookReceiver, messageId: string) => r.calls.filter((c) => payload(c).data.message_id === messageId);

interface Scene {
  client: TestApiClient;
  alice: TestUser;
  bob: TestUser;
  bobSocket: TestClient;
  conversation: string;
}

async function scene(): Promise<Scene> {
  const client = await createApiClient(frontend.url, admin, ['messages:send', 'messages:read', 'webhooks:manage']);
  const [alice, bob] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
  const conv = await call(client.accessToken, 'POST', '/v1/conversations', { type: 'direct', members: [alice.username, bob.username] });
  expect([200, 201], JSON.stringify(conv.body)).toContain(conv.status);
  const bobSocket = await TestClient.connect(presence.url, bob.accessToken, { heartbeatMs: 1_000 });
  sockets.push(bobSocket);
  return { client, alice, bob, bobSocket, conversation: conv.body.conversation_id };
}

/** The client sends a message from alice to bob; bob's client acks it and reads it. */
async function sendAndRead(s: Scene, text: string): Promise<string> {
  const sent = await call(s.client.accessToken, 'POST', '/v1/messages', {
    conversation_id: s.conversation,
    from: s.alice.username,
    to: [s.bob.username],
    payload: { type: 'text', text },
  });
  expect(sent.status, JSON.stringify(sent.body)).toBe(202);
  const messageId = sent.body.message_id as string;
  const frame = await eventually(() => s.bobSocket.all('message').find((f) => f.d.message_id === messageId), {
    what: 'the message at bob',
    timeoutMs: 30_000,
  });
  s.bobSocket.send('ack', { message_id: messageId });
  s.bobSocket.send('read', { conversation_id: s.conversation, up_to_seq: frame.d.sequence_number });
  return messageId;
}

describe('status webhooks end to end', () => {
  it(
    'a message sent over REST reaches the client’s webhook as sent → delivered → read, signed, and nobody else’s',
    { timeout: 120_000 },
    async () => {
      const s = await scene();
      const mine = await receiver();
      const created = await call(s.client.accessToken, 'POST', '/v1/webhooks', {
        url: `${mine.url}/hub`,
        events: ['message.sent', 'message.delivered', 'message.read'],
      });
      expect(created.status).toBe(201);
      const secret = created.body.secret as string;
      // Another business system with a catch-all webhook.
      const other = await createApiClient(frontend.url, admin, ['webhooks:manage']);
      const theirs = await receiver();
      expect((await call(other.accessToken, 'POST', '/v1/webhooks', { url: `${theirs.url}/other`, events: ['*'] })).status).toBe(201);
      // The router's cache follows etcd through a watch.
      await new Promise((r) => setTimeout(r, 300));

      const messageId = await sendAndRead(s, 'hello bob');
      await eventually(() => ofMessage(mine, messageId).length >= 3, { what: 'three webhook calls', timeoutMs: 30_000 });
      const calls = ofMessage(mine, messageId);
      expect(calls.map((c) => payload(c).type)).toEqual(['message.sent', 'message.delivered', 'message.read']);
      for (const c of calls) {
        expect(verifyWebhookSignature(secret, c)).toBe(true);
        expect(payload(c).data).toMatchObject({
          message_id: messageId,
          conversation_id: s.conversation,
          recipient: s.bob.username,
          channel: 'internal',
          from: s.alice.username,
        });
      }
      expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(3);
      await new Promise((r) => setTimeout(r, 500));
      expect(theirs.calls).toHaveLength(0);

      // The delivery log shows each with its successful attempt.
      const log = await call(s.client.accessToken, 'GET', `/v1/webhooks/${created.body.webhook_id}/deliveries?state=succeeded`);
      expect(log.body.deliveries.map((d: any) => d.event_type).sort()).toEqual(['message.delivered', 'message.read', 'message.sent']);
      expect(log.body.deliveries.every((d: any) => d.attempts.length === 1 && d.attempts[0].status_code === 200)).toBe(true);
    },
  );

  it('test event, manual re-send, secret rotation and deletion through the API', { timeout: 120_000 }, async () => {
    const s = await scene();
    const rx = await receiver();
    const { body: wh } = await call(s.client.accessToken, 'POST', '/v1/webhooks', { url: `${rx.url}/hub`, events: ['message.read'] });
    const canary = await receiver();
    await call(s.client.accessToken, 'POST', '/v1/webhooks', { url: `${canary.url}/canary`, events: ['message.read'] });
    await new Promise((r) => setTimeout(r, 300));

    // Ping: queued by the API, sent by the router, result in the log.
    const ping = await call(s.client.accessToken, 'POST', `/v1/webhooks/${wh.webhook_id}/test`);
    expect(ping.status).toBe(202);
    await eventually(() => rx.calls.some((c) => payload(c).type === 'webhook.ping'), { what: 'the ping', timeoutMs: 20_000 });
    const pinged = rx.calls.find((c) => payload(c).type === 'webhook.ping')!;
    expect(verifyWebhookSignature(wh.secret, pinged)).toBe(true);
    expect(pinged.headers['webhook-id']).toBe(ping.body.event_id);
    const pingLog = await eventually(
      async () => {
        const r = await call(s.client.accessToken, 'GET', ping.headers.get('location')!);
        return r.body.state === 'succeeded' ? r.body : undefined;
      },
      { what: 'the ping to show as succeeded' },
    );
    expect(pingLog.attempts).toMatchObject([{ attempt: 1, status_code: 200 }]);

    // Re-send the read event: same webhook-id, one more attempt marked manual.
    const messageId = await sendAndRead(s, 'read me');
    await eventually(() => ofMessage(rx, messageId).length >= 1, { what: 'the read event', timeoutMs: 30_000 });
    const { body: list } = await call(s.client.accessToken, 'GET', `/v1/webhooks/${wh.webhook_id}/deliveries?limit=10`);
    const readDelivery = list.deliveries.find((d: any) => d.event_type === 'message.read');
    await eventually(
      async () =>
        (await call(s.client.accessToken, 'GET', `/v1/webhooks/${wh.webhook_id}/deliveries/${readDelivery.delivery_id}`)).body.state ===
        'succeeded',
      { what: 'read delivery logged' },
    );
    const retried = await call(s.client.accessToken, 'POST', `/v1/webhooks/${wh.webhook_id}/deliveries/${readDelivery.delivery_id}/retry`);
    expect(retried.status).toBe(202);
    await eventually(() => ofMessage(rx, messageId).length >= 2, { what: 'the re-sent call', timeoutMs: 20_000 });
    const [first, again] = ofMessage(rx, messageId);
    expect(again!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(again!.body).toBe(first!.body);
    const resent = await eventually(
      async () => {
        const r = await call(s.client.accessToken, 'GET', `/v1/webhooks/${wh.webhook_id}/deliveries/${readDelivery.delivery_id}`);
        return r.body.state === 'succeeded' && r.body.attempts.length === 2 ? r.body : undefined;
      },
      { what: 'the re-send logged' },
    );
    expect(resent.attempts[1]).toMatchObject({ attempt: 2, status_code: 200, manual: true });

    // Rotation: the next call carries signatures by the new and the old secret.
    const rotated = await call(s.client.accessToken, 'POST', `/v1/webhooks/${wh.webhook_id}/rotate-secret`, { grace_period_s: 300 });
    expect(rotated.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const before = rx.calls.length;
    await call(s.client.accessToken, 'POST', `/v1/webhooks/${wh.webhook_id}/test`);
    await eventually(() => rx.calls.length > before, { what: 'ping after rotation', timeoutMs: 20_000 });
    const afterRotation = rx.calls.at(-1)!;
    expect(verifyWebhookSignature(rotated.body.secret, afterRotation)).toBe(true);
    expect(verifyWebhookSignature(wh.secret, afterRotation)).toBe(true);

    // Deletion: the next read event reaches the canary but not the deleted webhook.
    expect((await call(s.client.accessToken, 'DELETE', `/v1/webhooks/${wh.webhook_id}`)).status).toBe(204);
    await new Promise((r) => setTimeout(r, 300));
    const callsAtDelete = rx.calls.length;
    const later = await sendAndRead(s, 'after deletion');
    await eventually(() => ofMessage(canary, later).length >= 1, { what: 'the canary call', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.calls.length).toBe(callsAtDelete);
  });
});
