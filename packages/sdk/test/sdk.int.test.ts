import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HubClient,
  HubSocket,
  MemoryTokenStore,
  unwrap,
  verifyWebhook,
  WebhookVerificationError,
  type MessageData,
  type UploadProgress,
  type WebSocketConstructor,
} from '../src/index.js';
import { uploadFile } from '../src/node.js';
import { startGateway } from '../../../scripts/gateway';
import { adminToken, cleanupTestEnv, createApiClient, randomUsername, testFrontendEnv, testPassword } from '../../../test/support/identity';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver';
import { startFaultProxy } from './support.js';

// Four services start at once on a shared 2-core machine: give them longer than spawnService's default minute.
const SLOW_START = { timeoutMs: 150_000 };

// The SDK against the real hub: every service its own process on the local
// stack, behind the local gateway (one base URL, as integrators see it).

const MiB = 1024 * 1024;
let env: Record<string, string>;
let frontend: ServiceProcess;
let router: ServiceProcess;
let presence: ServiceProcess;
let files: ServiceProcess;
let gateway: Awaited<ReturnType<typeof startGateway>>;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  env = testFrontendEnv({
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
    WEBHOOK_RETRY_SCHEDULE_MS: '100,200,300',
    WEBHOOK_RETRY_JITTER: '0',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    RATE_LIMIT_PER_MIN: '1000000',
    // Multipart from 6 MiB, parts of 5 MiB (S3's minimum): an 11 MiB file goes in three parts.
    FILES_MULTIPART_THRESHOLD_BYTES: String(6 * MiB),
    FILES_PART_SIZE_BYTES: String(5 * MiB),
  });
  [frontend, router, presence, files] = await Promise.all([
    spawnService('frontend', env, SLOW_START),
    spawnService('router', env, SLOW_START),
    spawnService('presence', env, SLOW_START),
    spawnService('files', env, SLOW_START),
  ]);
  gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    upstreams: { frontend: frontend.url, router: router.url, presence: presence.url, files: files.url },
  });
}, 180_000);

afterAll(async () => {
  for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
  await gateway?.close();
  await Promise.allSettled([frontend, router, presence, files].filter(Boolean).map((s) => s.stop()));
  if (env) await cleanupTestEnv(env);
});

/** A registered, logged-in end user with an SDK client of their own. */
async function user(): Promise<{ username: string; hub: HubClient; tokenStore: MemoryTokenStore }> {
  const username = randomUsername('sdk');
  const password = testPassword();
  const tokenStore = new MemoryTokenStore();
  const hub = new HubClient({ baseUrl: gateway.url, tokenStore, WebSocket: WebSocket as unknown as WebSocketConstructor });
  await hub.register({ username, password });
  await hub.loginWithPassword(username, password);
  return { username, hub, tokenStore };
}

describe('REST: a send retried after a lost answer', () => {
  it('repeats the same Idempotency-Key on 503 + Retry-After, and the hub stores the message once', async () => {
    const alice = await user();
    const bob = await user();
    const conv = await alice.hub.createConversation({ type: 'direct', members: [alice.username, bob.username] });

    // The first send reaches the hub (and is accepted there), but its answer is replaced by a 503.
    let sends0 = 0;
    const proxy = await startFaultProxy(gateway.url, (req) => req.method === 'POST' && req.url === '/v1/messages' && sends0++ === 0);
    closers.push(proxy.close);
    const retries: number[] = [];
    const viaProxy = new HubClient({ baseUrl: proxy.url, tokenStore: alice.tokenStore, onRetry: (i) => retries.push(i.status ?? 0) });
    const t0 = Date.now();
    const sent = await viaProxy.sendMessage({
      conversation_id: conv.conversation_id,
      from: alice.username,
      payload: { type: 'text', text: 'once only' },
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000); // Retry-After: 1 was honoured

    const sends = proxy.requests.filter((r) => r.path === '/v1/messages');
    expect(sends.map((r) => [r.outcome, r.upstreamStatus])).toEqual([
      ['forwarded-then-503', 202],
      ['passed', 202],
    ]);
    expect(retries).toEqual([503]);
    expect(sends[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(sends[1]!.idempotencyKey).toBe(sends[0]!.idempotencyKey);

    // One stored message, under the id the client was given.
    await eventually(async () => (await alice.hub.history(conv.conversation_id)).messages.length > 0, { what: 'stored message' });
    await new Promise((r) => setTimeout(r, 500));
    const history = await alice.hub.history(conv.conversation_id);
    expect(history.messages.map((m) => [m.message_id, m.payload])).toEqual([[sent.message_id, { type: 'text', text: 'once only' }]]);
  });
});

describe('WebSocket: resume after the presence node dies', () => {
  it('delivers every message once, in order, across a SIGKILL of the node and its restart', async () => {
    const alice = await user();
    const bob = await user();
    const conv = await alice.hub.createConversation({ type: 'direct', members: [alice.username, bob.username] });

    // Count what the server actually sent, to show repeats were dropped by the client rather than never sent.
    const rawIds: string[] = [];
    class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
        super(url, protocols, options);
        this.addEventListener('message', (e) => {
          const f = JSON.parse(String(e.data)) as { op: string; d: { message_id?: string } };
          if (f.op === 'message' && f.d.message_id) rawIds.push(f.d.message_id);
        });
      }
    }
    const socket: HubSocket = bob.hub.connect({
      WebSocket: CountingWebSocket as unknown as WebSocketConstructor,
      reconnect: { initialDelayMs: 200, maxDelayMs: 1_000 },
    });
    closers.push(() => socket.close());
    const got: MessageData[] = [];
    socket.on('message', (m) => got.push(m));
    const closes: number[] = [];
    socket.on('close', (c) => closes.push(c.code));
    await socket.once('open');
    expect(await bob.hub.presence(bob.username)).toEqual({ user: bob.username, status: 'online' });

    const send = async (from: number, to: number) => {
      const ids: string[] = [];
      for (let i = from; i <= to; i++)
        ids.push(
          (
            await alice.hub.sendMessage({
              conversation_id: conv.conversation_id,
              from: alice.username,
              payload: { type: 'text', text: `m${i}` },
            })
          ).message_id,
        );
      return ids;
    };
    const before = await send(1, 5);
    await eventually(() => got.length >= 5, { what: 'live messages before the drop', timeoutMs: 20_000 });

    // The node dies without a goodbye; messages sent meanwhile wait in the store.
    const port = presence.port;
    await presence.stop('SIGKILL');
    await eventually(() => closes.length > 0, { what: 'the client noticing the drop' });
    const during = await send(6, 10);
    presence = await spawnService('presence', { ...env, PRESENCE_PORT: String(port) }, SLOW_START);

    await eventually(() => socket.state === 'open', { what: 'reconnected', timeoutMs: 30_000 });
    const after = await send(11, 15);
    await eventually(() => got.length >= 15, { what: 'all 15 messages', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1_000)); // let any late repeat arrive

    expect(got.map((m) => m.message_id)).toEqual([...before, ...during, ...after]);
    expect(got.map((m) => m.sequence_number)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(got.map((m) => (m.payload as { text: string }).text)).toEqual(Array.from({ length: 15 }, (_, i) => `m${i + 1}`));
    expect(socket.positions()).toEqual({ [conv.conversation_id]: 15 });
    expect(new Set(rawIds)).toEqual(new Set(got.map((m) => m.message_id)));
    console.log(`ws resume: server sent ${rawIds.length} message frames for 15 messages; the client passed on ${got.length}`);

    // Acks reached the store: every message is delivered to bob.
    await eventually(
      async () => {
        const s = await alice.hub.messageStatus(after.at(-1)!);
        return JSON.stringify(s).includes('delivered');
      },
      { what: 'delivered status of the last message' },
    );
  }, 120_000);
});

describe('webhooks: verifyWebhook on real deliveries', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver('127.0.0.1');
    closers.push(() => receiver.close());
  });

  it("accepts the hub's signed calls and refuses a tampered body, a changed timestamp and an old one", async () => {
    const admin = await adminToken(frontend.url, env);
    const client = await createApiClient(frontend.url, admin, ['messages:send', 'messages:read', 'webhooks:manage']);
    const hub = new HubClient({ baseUrl: gateway.url });
    await hub.loginWithClientCredentials(client.clientId, client.clientSecret);
    const created = unwrap(await hub.api.POST('/v1/webhooks', { body: { url: `${receiver.url}/hooks`, events: ['*'] } }));
    const secret = created.secret;
    expect(secret).toMatch(/^whsec_/);

    const [a, b] = [randomUsername('wa'), randomUsername('wb')];
    for (const u of [a, b]) await new HubClient({ baseUrl: gateway.url }).register({ username: u, password: testPassword() });
    const conv = await hub.createConversation({ type: 'direct', members: [a, b] });
    const sent = await hub.sendMessage({ conversation_id: conv.conversation_id, from: a, payload: { type: 'text', text: 'signed' } });

    const call = await eventually(() => receiver.calls.find((c) => c.body.includes(sent.message_id)), {
      what: 'a webhook call for the message',
      timeoutMs: 30_000,
    });
    const event = await verifyWebhook<{ message_id: string }>(secret, call.headers, call.body);
    expect(event.type).toMatch(/^message\./);
    expect(event.data.message_id).toBe(sent.message_id);
    // The same check with fetch-style Headers and a byte body.
    const headers = new Headers(Object.entries(call.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
    await expect(verifyWebhook(secret, headers, new TextEncoder().encode(call.body))).resolves.toMatchObject({
      data: { message_id: sent.message_id },
    });

    const refusal = async (p: Promise<unknown>) =>
      (await p.then(
        () => undefined,
        (e: unknown) => e,
      )) as WebhookVerificationError | undefined;
    const tampered = await refusal(
      verifyWebhook(
        secret,
        call.headers,
        call.body.replace(
          sent.message_id,
          sent.message_id.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        ),
      ),
    );
    expect(tampered).toBeInstanceOf(WebhookVerificationError);
    expect(tampered!.reason).toBe('no_matching_signature');

    const ts = Number(call.headers['webhook-timestamp']);
    const moved = await refusal(verifyWebhook(secret, { ...call.headers, 'webhook-timestamp': String(ts + 1) }, call.body));
    expect(moved?.reason).toBe('no_matching_signature');

    // A replay ten minutes later: signature still valid, timestamp too old.
    const late = await refusal(verifyWebhook(secret, call.headers, call.body, { now: (ts + 600) * 1000 }));
    expect(late?.reason).toBe('timestamp_too_old');

    const wrongSecret = await refusal(verifyWebhook(`whsec_${randomBytes(24).toString('base64')}`, call.headers, call.body));
    expect(wrongSecret?.reason).toBe('no_matching_signature');
  }, 60_000);
});

describe('files: upload helper', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sdk-upload-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
  });

  it('uploads an 11 MiB file in parallel parts with progress, and the download has the same SHA-256', async () => {
    const alice = await user();
    const bytes = randomBytes(11 * MiB + 123);
    const path = join(dir, 'big file.bin');
    writeFileSync(path, bytes);
    const expected = createHash('sha256').update(bytes).digest('hex');

    const events: UploadProgress[] = [];
    const file = await uploadFile(alice.hub, path, { contentType: 'application/octet-stream', onProgress: (p) => events.push(p) });
    expect(file).toMatchObject({ status: 'completed', filename: 'big file.bin', size: bytes.length, sha256: expected });

    const phases = [...new Set(events.map((e) => e.phase))];
    expect(phases).toEqual(['hashing', 'uploading', 'completing', 'done']);
    expect(events.filter((e) => e.phase === 'hashing').at(-1)!.loaded).toBe(bytes.length);
    const uploading = events.filter((e) => e.phase === 'uploading').map((e) => e.loaded);
    // 0, then one event per stored part (5 + 5 + 1 MiB), in whatever order they finished.
    expect(uploading[0]).toBe(0);
    expect(uploading).toHaveLength(4);
    expect(uploading.at(-1)).toBe(bytes.length);
    expect(events.every((e) => e.total === bytes.length)).toBe(true);

    const meta = unwrap(await alice.hub.api.GET('/v1/files/{file_id}', { params: { path: { file_id: file.file_id } } }));
    const downloaded = Buffer.from(await (await fetch(meta.download!.url)).arrayBuffer());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(expected);
  }, 90_000);

  it('stops when the signal aborts', async () => {
    const alice = await user();
    const path = join(dir, 'cancelled.bin');
    writeFileSync(path, randomBytes(11 * MiB));
    const controller = new AbortController();
    const pending = uploadFile(alice.hub, path, {
      signal: controller.signal,
      onProgress: (p) => p.phase === 'uploading' && controller.abort(new Error('cancelled by the user')),
    });
    await expect(pending).rejects.toThrow('cancelled by the user');
  }, 60_000);
});
