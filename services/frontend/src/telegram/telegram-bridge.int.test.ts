import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from '../../../../test/support/fake-telegram-server';
import { adminToken, cleanupTestEnv, registerAndLogin, testFrontendEnv, type TestUser } from '../../../../test/support/identity';
import { eventually, spawnService, type ServiceProcess } from '../../../../test/support/spawn-service';

// The Telegram bridge with the frontend and router as processes on the real
// stack and a fake Telegram Bot API server: linking a chat, Telegram users
// writing into the hub, and everything a webhook may be sent.

type Json = Record<string, any>;
const SECRET = `tg-secret-${randomUUID()}`;
let fake: FakeTelegramServer;
let env: Record<string, string>;
let frontend: ServiceProcess;
let router: ServiceProcess;
let files: ServiceProcess;
let alice: TestUser;
let bob: TestUser;
let updateId = 1_000;
let conversationId: string;

async function api(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: Json; type: string | null }> {
  const res = await fetch(`${frontend.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, type: res.headers.get('content-type') };
}

async function webhook(
  body: unknown,
  opts: { secret?: string | null; contentType?: string; raw?: string } = {},
): Promise<{ status: number; body: Json; type: string | null }> {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  if (opts.secret !== null) headers['x-telegram-bot-api-secret-token'] = opts.secret ?? SECRET;
  const res = await fetch(`${frontend.url}/v1/connectors/telegram/webhook`, {
    method: 'POST',
    headers,
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, type: res.headers.get('content-type') };
}

function textUpdate(chatId: number, text: string, extra: Json = {}, id = ++updateId): Json {
  return {
    update_id: id,
    message: {
      message_id: id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Tele' },
      from: { id: chatId, is_bot: false, first_name: 'Tele' },
      text,
      ...extra,
    },
  };
}

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ botUsername: 'hub_bridge_bot' });
  env = testFrontendEnv({
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_RATE_PER_CHAT_PER_S: '10',
    TELEGRAM_WEBHOOK_MAX_BYTES: '8192',
  });
  files = await spawnService('files', env);
  env.FILES_API_URL = files.url;
  [frontend, router] = await Promise.all([spawnService('frontend', env), spawnService('router', env)]);
  [alice, bob] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
});
afterAll(async () => {
  await Promise.all([frontend?.stop(), router?.stop(), files?.stop()]);
  await fake?.close();
  if (env) await cleanupTestEnv(env);
});

describe('linking a Telegram chat', () => {
  it('gives a user a one-time code with its t.me deep link, for themselves only', async () => {
    const link = await api('POST', `/v1/users/${bob.username}/channels/telegram/link`, bob.accessToken);
    expect(link.status).toBe(201);
    expect(link.body.code).toMatch(/^[A-Za-z0-9_-]{28}$/);
    expect(link.body.deep_link).toBe(`https://t.me/hub_bridge_bot?start=${link.body.code}`);
    expect(Date.parse(link.body.expires_at)).toBeGreaterThan(Date.now());
    expect((await api('POST', `/v1/users/${bob.username}/channels/telegram/link`, alice.accessToken)).status).toBe(403);
    expect((await api('POST', `/v1/users/${bob.username}/channels/telegram/link`)).status).toBe(401);
    const admin = await adminToken(frontend.url, env);
    const unknown = await api('POST', '/v1/users/nobody-here/channels/telegram/link', admin);
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
    expect((await api('POST', '/v1/users/NOT_A_NAME/channels/telegram/link', admin)).status).toBe(400);
  });

  it('links the chat that sends /start <code>, confirms it there, and refuses the used code afterwards', async () => {
    const { body } = await api('POST', `/v1/users/${bob.username}/channels/telegram/link`, bob.accessToken);
    const res = await webhook(textUpdate(8001, `/start ${body.code}`));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, result: 'linked', username: bob.username });
    expect(fake.textsTo(8001).at(-1)).toContain(`messages for ${bob.username} now arrive in this chat`);
    const mapping = await api('GET', `/v1/users/${bob.username}/channels/telegram`, bob.accessToken);
    expect(mapping.body).toMatchObject({ external_id: '8001' });

    const reuse = await webhook(textUpdate(8002, `/start ${body.code}`));
    expect(reuse.body).toMatchObject({ result: 'link_refused', reason: 'invalid_code' });
    expect(fake.textsTo(8002).at(-1)).toContain('invalid or has expired');
    const forged = await webhook(textUpdate(8002, `/start ${body.code.slice(0, 16)}${'A'.repeat(12)}`));
    expect(forged.body).toMatchObject({ result: 'link_refused', reason: 'invalid_code' });
  });
});

async function history(): Promise<Json[]> {
  return (await api('GET', `/v1/conversations/${conversationId}/messages`, alice.accessToken)).body.messages as Json[];
}

describe('Telegram users writing into the hub', () => {
  let botMessageId: number;

  beforeAll(async () => {
    const conv = await api('POST', '/v1/conversations', alice.accessToken, { type: 'direct', members: [alice.username, bob.username] });
    conversationId = conv.body.conversation_id;
    const sent = await api('POST', '/v1/messages', alice.accessToken, {
      conversation_id: conversationId,
      from: alice.username,
      channels: ['telegram'],
      payload: { type: 'text', text: 'Are you coming tonight?' },
    });
    expect(sent.status).toBe(202);
    await eventually(() => fake.textsTo(8001).includes('Are you coming tonight?'), {
      what: 'hub message delivered to Telegram',
      timeoutMs: 30_000,
    });
    // The router records the delivery (and what a reply to it answers) before it reports `sent`.
    await eventually(
      async () =>
        (await api('GET', `/v1/messages/${sent.body.message_id}/status`, alice.accessToken)).body.recipients?.some(
          (r: Json) => r.channel === 'telegram' && r.status === 'sent',
        ),
      { what: 'sent status', timeoutMs: 20_000 },
    );
    botMessageId = Number(fake.sent('sendMessage').find((c) => c.params.text === 'Are you coming tonight?')!.result!.message_id);
  });

  it('turns a reply in Telegram into a hub message from the linked user to the other member of that conversation', async () => {
    const res = await webhook(
      textUpdate(8001, 'Yes, see you at 8', {
        reply_to_message: { message_id: botMessageId, date: 1, chat: { id: 8001, type: 'private' } },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'published', conversation_id: conversationId });
    await eventually(async () => (await history()).some((m) => m.payload.text === 'Yes, see you at 8'), {
      what: 'bridged message in the history',
      timeoutMs: 30_000,
    });
    const stored = (await history()).find((m) => m.payload.text === 'Yes, see you at 8')!;
    expect(stored).toMatchObject({ message_id: res.body.message_id, from: bob.username, to: [alice.username] });
    // Addressed to alice on the hub's own channel; with no WebSocket session open she is `pending` (delivered on connect).
    await eventually(
      async () =>
        (await api('GET', `/v1/messages/${res.body.message_id}/status`, alice.accessToken)).body.recipients?.[0]?.status === 'pending',
      { what: 'recipient status', timeoutMs: 20_000 },
    );
    const status = await api('GET', `/v1/messages/${res.body.message_id}/status`, alice.accessToken);
    expect(status.body.recipients).toEqual([
      expect.objectContaining({ recipient: alice.username, channel: 'internal', status: 'pending' }),
    ]);
  });

  it('turns a document sent in Telegram into a file message whose bytes the other member can download', async () => {
    const bytes = new TextEncoder().encode('%PDF-1.4 minutes of the meeting');
    fake.addFile('tg-doc-1', bytes, 'minutes.pdf');
    const id = ++updateId;
    const update = {
      update_id: id,
      message: {
        message_id: id,
        date: 1,
        chat: { id: 8001, type: 'private' },
        caption: 'the minutes',
        document: {
          file_id: 'tg-doc-1',
          file_unique_id: 'u1',
          file_name: 'minutes.pdf',
          mime_type: 'application/pdf',
          file_size: bytes.byteLength,
        },
      },
    };
    const res = await webhook(update);
    expect(res.body, JSON.stringify(res.body)).toMatchObject({ result: 'published', conversation_id: conversationId });
    await eventually(async () => (await history()).some((m) => m.message_id === res.body.message_id), {
      what: 'file message stored',
      timeoutMs: 30_000,
    });
    const stored = (await history()).find((m) => m.message_id === res.body.message_id)!;
    expect(stored).toMatchObject({ from: bob.username, payload: { type: 'file', caption: 'the minutes' } });
    const file = await fetch(`${files.url}/v1/files/${stored.payload.file_id}`, {
      headers: { authorization: `Bearer ${alice.accessToken}` },
    }).then((r) => r.json() as Promise<Json>);
    expect(file).toMatchObject({ filename: 'minutes.pdf', size: bytes.byteLength, status: 'completed' });
    const downloaded = new Uint8Array(await (await fetch(file.download.url)).arrayBuffer());
    expect(downloaded).toEqual(bytes);
  });

  it('stores a redelivered update once', async () => {
    const update = textUpdate(8001, 'only once please');
    const [a, b] = await Promise.all([webhook(update), webhook(update)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const again = await webhook(update);
    expect(again.body).toMatchObject({ result: 'duplicate' });
    await eventually(async () => (await history()).some((m) => m.payload.text === 'only once please'), {
      what: 'stored',
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await history()).filter((m) => m.payload.text === 'only once please')).toHaveLength(1);
  });

  it('tells an unlinked chat how to link, and publishes nothing', async () => {
    const before = (await history()).length;
    const res = await webhook(textUpdate(8009, 'hello? anyone?'));
    expect(res.body).toMatchObject({ result: 'not_linked' });
    expect(fake.textsTo(8009).at(-1)).toContain('not linked');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await history()).length).toBe(before);
  });
});

describe('hub → Telegram through the REST API, with a dead letter replayed', () => {
  it('fails a recipient without a Telegram mapping into the DLQ, and a replay after linking delivers it once', async () => {
    const carol = await registerAndLogin(frontend.url);
    const conv = await api('POST', '/v1/conversations', alice.accessToken, { type: 'direct', members: [alice.username, carol.username] });
    const sent = await api('POST', '/v1/messages', alice.accessToken, {
      conversation_id: conv.body.conversation_id,
      from: alice.username,
      channels: ['telegram'],
      payload: { type: 'text', text: 'Carol, your table is ready' },
    });
    expect(sent.status).toBe(202);
    const admin = await adminToken(frontend.url, env);
    let dl: Json | undefined;
    await eventually(
      async () => {
        dl = ((await api('GET', '/v1/dlq?channel=telegram', admin)).body.dead_letters as Json[]).find(
          (d) => d.message_id === sent.body.message_id,
        );
        return dl;
      },
      { what: 'dead letter', timeoutMs: 30_000 },
    );
    expect(dl).toMatchObject({ recipient: carol.username, reason: 'no_mapping' });
    // The dead letter is stored before the router reports the status; the status writer follows.
    await eventually(
      async () =>
        (await api('GET', `/v1/messages/${sent.body.message_id}/status`, alice.accessToken)).body.recipients?.[0]?.status === 'failed',
      { what: 'failed status', timeoutMs: 20_000 },
    );
    const status = await api('GET', `/v1/messages/${sent.body.message_id}/status`, alice.accessToken);
    expect(status.body.recipients).toEqual([
      expect.objectContaining({
        recipient: carol.username,
        channel: 'telegram',
        status: 'failed',
        detail: expect.stringContaining('no_mapping'),
      }),
    ]);

    expect((await api('PUT', `/v1/users/${carol.username}/channels/telegram`, carol.accessToken, { chat_id: 8101 })).status).toBe(201);
    const replays = await Promise.all([api('POST', `/v1/dlq/${dl!.id}/replay`, admin), api('POST', `/v1/dlq/${dl!.id}/replay`, admin)]);
    expect(replays.map((r) => r.status)).toEqual([202, 202]);
    expect(replays.map((r) => r.body.replay).sort()).toEqual(['already_requested', 'started']);
    await eventually(() => fake.textsTo(8101).length >= 1, { what: 'replayed delivery', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(fake.textsTo(8101)).toEqual(['Carol, your table is ready']);
  });
});

describe('webhook input it must survive', () => {
  it('rejects a missing or wrong secret token with 401 and publishes nothing', async () => {
    for (const secret of [null, 'wrong-secret-value', `${SECRET}x`]) {
      const res = await webhook(textUpdate(8001, 'forged'), { secret });
      expect(res.status).toBe(401);
      expect(res.type).toContain('application/problem+json');
    }
    // Chat 8001 is linked to bob and has a conversation to write into: had the token been accepted, this would be stored.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await history()).some((m) => m.payload.text === 'forged')).toBe(false);
    expect(fake.textsTo(8001)).not.toContain('forged');
  });

  it.each([
    ['malformed JSON', { raw: '{"update_id": 1,' }, 400, 'invalid-json'],
    ['a non-JSON content type', { raw: 'update_id=1', contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported-media-type'],
    ['a body over the limit', { raw: JSON.stringify({ update_id: 5, message: { text: 'x'.repeat(10_000) } }) }, 413, 'payload-too-large'],
    ['a wrongly typed update_id', { raw: JSON.stringify({ update_id: 'seven' }) }, 400, 'validation-failed'],
    [
      'a message without a chat',
      { raw: JSON.stringify({ update_id: 9, message: { message_id: 1, date: 1, text: 'hi' } }) },
      400,
      'validation-failed',
    ],
  ])('answers %s with problem+json', async (_label, opts, status, type) => {
    const res = await webhook(undefined, opts);
    expect(res.status).toBe(status);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.type).toContain(type);
  });

  it('names the bad field', async () => {
    const res = await webhook({ update_id: 'seven' });
    expect(res.body.errors.map((e: Json) => e.field)).toContain('update_id');
  });

  it('acknowledges update types it does not handle, and stays up', async () => {
    for (const update of [
      { update_id: ++updateId, edited_message: { message_id: 1, date: 1, chat: { id: 8001, type: 'private' }, text: 'edited' } },
      { update_id: ++updateId, callback_query: { id: 'x', from: { id: 8001, is_bot: false, first_name: 'T' }, chat_instance: 'c' } },
      { update_id: ++updateId, message: { message_id: 2, date: 1, chat: { id: 8001, type: 'private' }, sticker: { file_id: 's' } } },
    ]) {
      const res = await webhook(update);
      expect(res.status).toBe(200);
      expect(res.body.result).toBe('ignored');
    }
    expect((await fetch(`${frontend.url}/health/ready`)).status).toBe(200);
  });
});
