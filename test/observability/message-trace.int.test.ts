import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/ws-client';
import { FakeTelegramServer } from '../support/fake-telegram-server';
import { adminToken, cleanupTestEnv, createApiClient, registerAndLogin, testFrontendEnv } from '../support/identity';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { eventually, spawnService, type ServiceProcess } from '../support/spawn-service';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// One message from an API client to a WebSocket user (bob) and a Telegram
// user (carol), with the client's webhook registered, every service its own
// process on the real stack exporting spans (OTLP/HTTP JSON) to a receiver
// in this test. The fake Bot API fails the first send, so the Telegram
// delivery is retried. Asserts: one trace id spans frontend, router and
// presence with each hop under the one before it, the retry included; and
// the timeline API lists every hop, the retry too.

let otlp: OtlpReceiver;
let fake: FakeTelegramServer;
let hook: WebhookReceiver;
let env: Record<string, string>;
let services: ServiceProcess[] = [];
let socket: TestClient | undefined;

beforeAll(async () => {
  [otlp, fake, hook] = await Promise.all([startOtlpReceiver(), FakeTelegramServer.start(), startWebhookReceiver('127.0.0.1')]);
  env = testFrontendEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // The SDK's batch processor: export every 100 ms instead of 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: 'trace-test-webhook-secret',
    CONNECTORS_ENABLED: 'telegram',
    OUTBOUND_BACKOFF_BASE_MS: '200',
    OUTBOUND_BACKOFF_JITTER: '0',
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    RATE_LIMIT_PER_MIN: '1000000',
  });
  services = await Promise.all([spawnService('frontend', env), spawnService('router', env), spawnService('presence', env)]);
}, 180_000);
afterAll(async () => {
  await socket?.close();
  await Promise.allSettled(services.map((s) => s.stop()));
  await Promise.allSettled([otlp?.close(), fake?.close(), hook?.close()]);
  if (env) await cleanupTestEnv(env);
});

async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${services[0]!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The chain of parents of a span within its trace, nearest first (names as `service:name`). */
function ancestry(span: ReceivedSpan, all: ReceivedSpan[]): string[] {
  const byId = new Map(all.map((s) => [s.spanId, s]));
  const out: string[] = [];
  for (let p = span.parentSpanId ? byId.get(span.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined)
    out.push(`${p.service}:${p.name}`);
  return out;
}

describe('one trace per message', () => {
  it(
    'spans frontend, router and presence from accept to WebSocket ack, Telegram (with a retry) and the webhook; the timeline lists every hop',
    { timeout: 120_000 },
    async () => {
      const [frontend, presence] = [services[0]!, services[2]!];
      const admin = await adminToken(frontend.url, env);
      const client = await createApiClient(frontend.url, admin, ['messages:send', 'messages:read', 'webhooks:manage']);
      const [alice, bob, carol] = await Promise.all([
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
      ]);
      expect([200, 201]).toContain(
        (await call(carol.accessToken, 'PUT', `/v1/users/${carol.username}/channels/telegram`, { chat_id: 7001 })).status,
      );
      const conv = await call(client.accessToken, 'POST', '/v1/conversations', {
        type: 'group',
        members: [alice.username, bob.username, carol.username],
      });
      expect([200, 201]).toContain(conv.status);
      const webhook = await call(client.accessToken, 'POST', '/v1/webhooks', {
        url: `${hook.url}/hub`,
        events: ['message.sent', 'message.delivered'],
      });
      expect(webhook.status).toBe(201);
      socket = await TestClient.connect(presence.url, bob.accessToken, { heartbeatMs: 1_000 });
      // The router's caches (webhooks, channel mappings) follow etcd through watches.
      await new Promise((r) => setTimeout(r, 500));
      fake.failNext(1, 500);

      const sent = await call(client.accessToken, 'POST', '/v1/messages', {
        conversation_id: conv.body.conversation_id,
        from: alice.username,
        to: [bob.username, carol.username],
        channels: ['internal', 'telegram'],
        payload: { type: 'text', text: 'traced' },
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(202);
      const messageId = sent.body.message_id as string;
      const frame = await eventually(() => socket!.all('message').find((f) => f.d.message_id === messageId), {
        what: 'the message at bob',
        timeoutMs: 30_000,
      });
      const traceId = frame.d.trace_id as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      socket.send('ack', { message_id: messageId });
      await eventually(() => fake.textsTo(7001).includes('traced'), { what: 'the Telegram send after one failure', timeoutMs: 30_000 });
      await eventually(() => hook.calls.filter((c) => JSON.parse(c.body).data.message_id === messageId).length >= 3, {
        what: 'webhook calls: sent (bob), sent (carol), delivered (bob)',
        timeoutMs: 30_000,
      });

      // The spans of the whole path have been exported (batch processor every 100 ms).
      const inTrace = () => otlp.spans.filter((s) => s.traceId === traceId);
      const one = (service: string, name: string, where: (s: ReceivedSpan) => boolean = () => true) =>
        inTrace().find((s) => s.service === service && s.name === name && where(s));
      await eventually(
        () =>
          one('presence', 'websocket ack') &&
          one('router', 'process hub.retry.v1') &&
          inTrace().filter((s) => s.name === 'webhook dispatch').length >= 3,
        { what: 'the spans of every hop', timeoutMs: 30_000 },
      );
      const spans = inTrace();
      expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['frontend', 'router', 'presence']));

      // Accept: REST request → accept → Kafka send.
      const accept = one('frontend', 'accept message')!;
      expect(accept.attributes['messaging.message.id']).toBe(messageId);
      expect(ancestry(accept, spans)[0]).toMatch(/^frontend:POST/);
      // Router: the message's process span continues from the accept's Kafka record.
      const routed = one('router', 'process hub.messages.v1')!;
      expect(routed.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.destination.name': 'hub.messages.v1',
        'messaging.operation.type': 'process',
        'messaging.message.id': messageId,
      });
      expect(ancestry(routed, spans).slice(0, 2)).toEqual(['frontend:send hub.messages.v1', 'frontend:accept message']);
      // Its batch span links to it rather than parenting it.
      expect(routed.links.length).toBeGreaterThan(0);
      // WebSocket: hand-over → push on the presence node → the recipient's ack → the delivered status.
      const ack = one('presence', 'websocket ack')!;
      expect(ancestry(ack, spans).slice(0, 5)).toEqual([
        'presence:websocket push',
        'router:hand-over internal',
        'router:process hub.messages.v1',
        'frontend:send hub.messages.v1',
        'frontend:accept message',
      ]);
      // Telegram: the first call fails, a retry is scheduled under the hand-over, and the retry's call succeeds under it.
      // (bob has no Telegram chat: his Telegram delivery fails at once, no_mapping.)
      expect(
        spans.find((s) => s.name === 'connector call telegram' && s.attributes['hub.recipient'] === bob.username)?.attributes[
          'hub.outcome'
        ],
      ).toBe('permanent: no_mapping');
      const calls = spans
        .filter((s) => s.name === 'connector call telegram' && s.attributes['hub.recipient'] === carol.username)
        .sort((a, b) => Number(a.startNs - b.startNs));
      // (Usually two calls; a third when the per-chat rate limit deferred the retry once more.)
      expect(calls.length, JSON.stringify(calls.map((c) => [c.attributes['hub.outcome'], ancestry(c, spans)]))).toBeGreaterThanOrEqual(2);
      expect(String(calls[0]!.attributes['hub.outcome'])).toMatch(/^retryable/);
      expect(ancestry(calls[0]!, spans).slice(0, 2)).toEqual(['router:hand-over telegram', 'router:process hub.messages.v1']);
      expect(calls.at(-1)!.attributes['hub.outcome']).toBe('delivered');
      for (const retry of calls.slice(1)) {
        const chain = ancestry(retry, spans);
        // A retry is a child of the record that scheduled it: the hand-over's, or the previous retry's.
        expect(chain.slice(0, 3)).toEqual(['router:process hub.retry.v1', 'router:send hub.retry.v1', 'router:schedule retry']);
        expect(chain).toContain('router:hand-over telegram');
        expect(chain.at(-2)).toBe('frontend:accept message');
      }
      // Webhooks: each attempt under the intake of the status it reports, which continues the status's own hop.
      const dispatches = spans.filter((s) => s.name === 'webhook dispatch');
      for (const d of dispatches) {
        const chain = ancestry(d, spans);
        expect(chain.slice(0, 2)).toEqual([
          'router:process hub.status.v1',
          expect.stringMatching(/^(router|presence):send hub\.status\.v1$/),
        ]);
        expect(chain.at(-2)).toBe('frontend:accept message');
      }
      expect(dispatches.some((d) => ancestry(d, spans).includes('presence:websocket ack'))).toBe(true);

      // The timeline: every hop, the retry included, with the same trace. Attempts count calls that reached the Bot API (a rate-limit deferral uses none).
      const attempts = fake.calls.filter((c) => c.method === 'sendMessage' && String(c.params.chat_id) === '7001').length;
      expect(attempts).toBe(2);
      const tl = await call(client.accessToken, 'GET', `/v1/messages/${messageId}/timeline`);
      expect(tl.status).toBe(200);
      expect(tl.body).toMatchObject({ message_id: messageId, conversation_id: conv.body.conversation_id, trace_id: traceId });
      const hops = tl.body.hops as Array<Record<string, any>>;
      const find = (h: Record<string, unknown>) => hops.filter((x) => Object.entries(h).every(([k, v]) => x[k] === v));
      expect(hops.slice(0, 2).map((h) => h.hop)).toEqual(['accepted', 'stored']);
      expect(find({ hop: 'status', recipient: bob.username, channel: 'internal', outcome: 'sent' })).toHaveLength(1);
      expect(find({ hop: 'status', recipient: bob.username, channel: 'internal', outcome: 'delivered' })).toHaveLength(1);
      expect(find({ hop: 'status', recipient: carol.username, channel: 'telegram', outcome: 'retrying', attempt: 1 })).toHaveLength(1);
      expect(
        find({ hop: 'status', recipient: carol.username, channel: 'telegram', outcome: 'sent', attempt: attempts }),
        JSON.stringify(hops),
      ).toHaveLength(1);
      expect(
        find({ hop: 'outbound', recipient: carol.username, channel: 'telegram', outcome: 'delivered', attempt: attempts }),
      ).toHaveLength(1);
      expect(find({ hop: 'webhook', outcome: 'delivered' }).length).toBeGreaterThanOrEqual(3);
      for (const h of hops.filter((x) => x.hop === 'status' || x.hop === 'webhook')) {
        expect(h.trace_id, JSON.stringify(h)).toBe(traceId);
        expect(h.span_id).toMatch(/^[0-9a-f]{16}$/);
      }
      const times = hops.map((h) => Date.parse(h.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));

      // Someone else's message: 404 problem, as for the status.
      const stranger = await registerAndLogin(frontend.url);
      const refused = await fetch(`${frontend.url}/v1/messages/${messageId}/timeline`, {
        headers: { authorization: `Bearer ${stranger.accessToken}` },
      });
      expect(refused.status).toBe(404);
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    },
  );
});
