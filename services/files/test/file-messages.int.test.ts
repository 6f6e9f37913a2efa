import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '@hub/platform';
import { FakeTelegramServer } from '../../../test/support/fake-telegram-server';
import { cleanupTestEnv, registerAndLogin, testFrontendEnv, type TestUser } from '../../../test/support/identity';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { TestClient } from '../../../test/support/ws-client';
import { emptyBucket, sha256, uploadBytes } from './files-harness';

// A file message end to end, every service as its own process on the real
// stack: upload through the files service, POST /v1/messages on the
// frontend, the router storing and routing it, a WebSocket recipient on
// presence and a Telegram recipient behind a fake Bot API server.

let fake: FakeTelegramServer;
let env: Record<string, string>;
const services: ServiceProcess[] = [];
let frontend: ServiceProcess;
let presence: ServiceProcess;
let files: ServiceProcess;
let alice: TestUser;
let bob: TestUser;
let conversationId: string;
const BOB_CHAT = 7001;

async function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function uploadFile(bytes: Buffer, filename: string, conversation: string | undefined, complete = true): Promise<string> {
  const init = await call(files.url, 'POST', '/v1/files/initiate', alice.accessToken, {
    filename,
    size: bytes.length,
    content_type: 'application/pdf',
    sha256: sha256(bytes),
    ...(conversation ? { conversation_id: conversation } : {}),
  });
  expect(init.status, JSON.stringify(init.body)).toBe(201);
  await uploadBytes(init.body, bytes);
  if (complete)
    expect((await call(files.url, 'POST', '/v1/files/complete', alice.accessToken, { file_id: init.body.file_id })).status).toBe(200);
  return init.body.file_id as string;
}

beforeAll(async () => {
  fake = await FakeTelegramServer.start();
  env = testFrontendEnv({
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: 'file-messages-test-webhook-secret',
    CONNECTORS_ENABLED: 'telegram',
    RATE_LIMIT_PER_MIN: '1000000',
  });
  [frontend, presence, files] = await Promise.all([
    spawnService('frontend', env),
    spawnService('presence', env),
    spawnService('files', env),
  ]);
  services.push(frontend, presence, files, await spawnService('router', env));
  [alice, bob] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
  expect(
    (await call(frontend.url, 'PUT', `/v1/users/${bob.username}/channels/telegram`, bob.accessToken, { chat_id: BOB_CHAT })).status,
  ).toBe(201);
  const conv = await call(frontend.url, 'POST', '/v1/conversations', alice.accessToken, {
    type: 'direct',
    members: [alice.username, bob.username],
  });
  expect([200, 201]).toContain(conv.status);
  conversationId = conv.body.conversation_id;
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(services.map((s) => s.stop()));
  await fake?.close();
  if (env) {
    const store = new S3ObjectStore({
      endpoint: env.S3_ENDPOINT!,
      accessKey: env.S3_ACCESS_KEY!,
      secretKey: env.S3_SECRET_KEY!,
      region: env.S3_REGION!,
      bucket: env.S3_BUCKET!,
    });
    await emptyBucket(store).catch(() => {});
    await store.client.removeBucket(store.bucket).catch(() => {});
    await cleanupTestEnv(env);
  }
});

describe('file messages end to end (files, frontend, router, presence, fake Telegram)', () => {
  it('a completed file sent in its conversation reaches the WebSocket recipient and the Telegram recipient with its details', async () => {
    const bytes = randomBytes(150_000);
    const fileId = await uploadFile(bytes, 'Q3 report.pdf', conversationId);
    const sent = await call(frontend.url, 'POST', '/v1/messages', alice.accessToken, {
      conversation_id: conversationId,
      from: alice.username,
      to: [bob.username],
      channels: ['internal', 'telegram'],
      payload: { type: 'file', file_id: fileId, caption: 'Q3 numbers' },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    const details = {
      file_id: fileId,
      filename: 'Q3 report.pdf',
      size: bytes.length,
      content_type: 'application/pdf',
      sha256: sha256(bytes),
    };

    // Telegram: sendDocument with a URL the Bot API server could fetch, and the caption.
    // `result` is set once the fake answered (it records a call as it arrives).
    const doc = await eventually(() => fake.sent('sendDocument').find((c) => String(c.params.chat_id) === String(BOB_CHAT) && c.result), {
      what: 'sendDocument to bob answered',
      timeoutMs: 30_000,
    });
    expect(doc.params.caption).toBe('Q3 numbers');
    expect(doc.document).toMatchObject({ source: 'url', fetchStatus: 200, bytes: bytes.length });

    // WebSocket: bob's client gets the message frame with the file's details.
    const ws = await TestClient.connect(presence.url, bob.accessToken);
    try {
      const frame = await ws.next('message', (d) => d.message_id === sent.body.message_id, { timeoutMs: 20_000 });
      expect(frame.d).toMatchObject({
        conversation_id: conversationId,
        from: alice.username,
        payload: { type: 'file', file_id: fileId, caption: 'Q3 numbers' },
        file: details,
      });
    } finally {
      ws.ws.close();
    }

    // And bob, a member of the conversation, downloads the same bytes from the files API.
    const got = await call(files.url, 'GET', `/v1/files/${fileId}`, bob.accessToken);
    expect(got.status).toBe(200);
    expect(sha256(Buffer.from(await (await fetch(got.body.download.url)).arrayBuffer()))).toBe(sha256(bytes));
  });

  it('refuses a file that is not completed, or not uploaded for this conversation, naming payload.file_id', async () => {
    const bytes = randomBytes(1000);
    const unfinished = await uploadFile(bytes, 'draft.pdf', conversationId, false);
    const elsewhere = await uploadFile(bytes, 'private.pdf', undefined);
    for (const [fileId, why] of [
      [unfinished, /uploading/],
      [elsewhere, /not uploaded for a conversation/],
      ['0190f0a0-0000-7000-8000-000000000000', /no such file/],
    ] as const) {
      const res = await call(frontend.url, 'POST', '/v1/messages', alice.accessToken, {
        conversation_id: conversationId,
        from: alice.username,
        payload: { type: 'file', file_id: fileId },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'payload.file_id', message: expect.stringMatching(why) }]);
    }
  });
});
