import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTestEnv, registerAndLogin, testFrontendEnv, type TestUser } from '../../../test/support/identity';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { expectClose, TestClient } from '../../../test/support/ws-client';

// The acceptance scenario with every service as its own process on the real
// stack: frontend (REST accept), router (route worker, status writer), and
// presence nodes; end users on real WebSocket clients.
let env: Record<string, string>;
let frontend: ServiceProcess;
let router: ServiceProcess;
let nodeA: ServiceProcess;
let nodeB: ServiceProcess;
const services: ServiceProcess[] = [];
const clients: TestClient[] = [];

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${frontend.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function conversation(owner: TestUser, members: TestUser[]): Promise<string> {
  const res = await call('POST', '/v1/conversations', owner.accessToken, {
    type: members.length === 2 ? 'direct' : 'group',
    members: members.map((m) => m.username),
  });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body.conversation_id as string;
}

async function post(from: TestUser, conversationId: string, text: string): Promise<string> {
  const res = await call('POST', '/v1/messages', from.accessToken, {
    conversation_id: conversationId,
    from: from.username,
    payload: { type: 'text', text },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.message_id as string;
}

async function connect(node: ServiceProcess, user: TestUser): Promise<TestClient> {
  const c = await TestClient.connect(node.url, user.accessToken, { heartbeatMs: 500 });
  clients.push(c);
  return c;
}

const messagesIn = (c: TestClient, conv: string) => c.all('message').filter((f) => f.d.conversation_id === conv);
const seqs = (c: TestClient, conv: string) => messagesIn(c, conv).map((f) => f.d.sequence_number as number);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
async function until(c: TestClient, conv: string, count: number, timeoutMs = 60_000): Promise<number[]> {
  await eventually(() => messagesIn(c, conv).length >= count, {
    what: `${count} messages on ${conv} (have ${messagesIn(c, conv).length})`,
    timeoutMs,
    intervalMs: 50,
  });
  return seqs(c, conv);
}

beforeAll(async () => {
  env = testFrontendEnv({
    PRESENCE_TTL_MS: '4000',
    WS_HEARTBEAT_INTERVAL_MS: '1000',
    WS_HEARTBEAT_MISSES: '3',
    RATE_LIMIT_PER_MIN: '1000000',
    WS_RATE_PER_S: '200',
    WS_RATE_BURST: '200',
  });
  [frontend, router, nodeA, nodeB] = await Promise.all([
    spawnService('frontend', env),
    spawnService('router', env),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-a' }),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-b' }),
  ]);
  services.push(frontend, router, nodeA, nodeB);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(services.map((s) => s.stop()));
  if (env) await cleanupTestEnv(env);
});

describe('messaging over WebSocket, end to end', () => {
  it(
    'two users on two nodes exchange messages once each, in order, with delivered and read reaching the sender as frames and in the status API',
    { timeout: 120_000 },
    async () => {
      const [alice, bob] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
      const conv = await conversation(alice, [alice, bob]);
      const a = await connect(nodeA, alice);
      const b = await connect(nodeB, bob);

      const accepted: string[] = [];
      for (let i = 1; i <= 10; i++) {
        a.send('send', { client_msg_id: `a-${i}`, conversation_id: conv, payload: { type: 'text', text: `hello ${i}` } });
        accepted.push((await a.next('accepted', (d) => d.client_msg_id === `a-${i}`)).d.message_id);
      }
      for (let i = 1; i <= 5; i++) {
        b.send('send', { client_msg_id: `b-${i}`, conversation_id: conv, payload: { type: 'text', text: `hi ${i}` } });
        await b.next('accepted', (d) => d.client_msg_id === `b-${i}`);
      }
      const atBob = (await until(b, conv, 15)).length;
      expect(atBob).toBe(15);
      // Bob sees alice's ten in her send order, and his own five (as the other devices of a sender would).
      expect(
        messagesIn(b, conv)
          .filter((f) => f.d.from === alice.username)
          .map((f) => f.d.message_id),
      ).toEqual(accepted);
      expect(
        messagesIn(b, conv)
          .filter((f) => f.d.from === alice.username)
          .map((f) => f.d.payload.text),
      ).toEqual(range(1, 10).map((i) => `hello ${i}`));
      await until(a, conv, 15);
      for (const c of [a, b]) {
        expect(seqs(c, conv)).toEqual(range(1, 15));
        // Once each: nothing else arrives.
        await new Promise((r) => setTimeout(r, 300));
        expect(seqs(c, conv)).toEqual(range(1, 15));
      }

      const first = accepted[0]!;
      const last = accepted[9]!;
      b.send('ack', { message_id: first });
      const statusFrames = (id: string) =>
        a
          .all('status')
          .filter((f) => f.d.message_id === id && f.d.recipient === bob.username)
          .map((f) => f.d.status);
      await eventually(() => statusFrames(first).includes('delivered'), { what: 'delivered frame', timeoutMs: 30_000 });
      const lastSeq = messagesIn(b, conv).find((f) => f.d.message_id === last)!.d.sequence_number;
      b.send('read', { conversation_id: conv, up_to_seq: lastSeq });
      await eventually(() => statusFrames(last).includes('read'), { what: 'read frame', timeoutMs: 30_000 });
      expect(statusFrames(first)).toEqual(['sent', 'delivered', 'read']);
      expect(statusFrames(last)).toEqual(['sent', 'delivered', 'read']);

      const view = await eventually(
        async () => {
          const res = await call('GET', `/v1/messages/${last}/status`, alice.accessToken);
          return res.body?.recipients?.[0]?.status === 'read' ? res.body : undefined;
        },
        { what: 'read in the status API', timeoutMs: 30_000 },
      );
      expect(view.recipients).toEqual([expect.objectContaining({ recipient: bob.username, channel: 'internal', status: 'read' })]);
      expect(view.status_history.map((h: { status: string }) => h.status)).toEqual(['accepted', 'sent', 'delivered', 'read']);
    },
  );

  it('a user with two devices gets every message on both', { timeout: 120_000 }, async () => {
    const [alice, bob] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
    const conv = await conversation(alice, [alice, bob]);
    const phone = await connect(nodeA, bob);
    const laptop = await connect(nodeB, bob);
    for (let i = 1; i <= 20; i++) await post(alice, conv, `m${i}`);
    for (const device of [phone, laptop]) expect(await until(device, conv, 20)).toEqual(range(1, 20));
  });

  it('a user offline for 200 messages gets all 200 in order on reconnect, then live ones, with no gap', { timeout: 240_000 }, async () => {
    const [alice, bob] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
    const conv = await conversation(alice, [alice, bob]);
    const early = await connect(nodeA, bob);
    await post(alice, conv, 'while online');
    await until(early, conv, 1);
    early.send('ack', { message_id: messagesIn(early, conv)[0]!.d.message_id });
    await new Promise((r) => setTimeout(r, 500));
    await early.close();

    // 200 while bob is offline, ten senders at a time.
    const offline = range(1, 200);
    for (let i = 0; i < offline.length; i += 10) await Promise.all(offline.slice(i, i + 10).map((n) => post(alice, conv, `offline ${n}`)));
    await eventually(
      async () =>
        (await call('GET', `/v1/conversations/${conv}/messages?since=200&limit=10`, alice.accessToken)).body?.messages?.length === 1,
      { what: '201 stored', timeoutMs: 90_000 },
    );

    const back = await connect(nodeB, bob);
    // Live messages race the catch-up.
    const live = Promise.all(range(1, 20).map((n) => post(alice, conv, `live ${n}`)));
    await live;
    expect(await until(back, conv, 220, 90_000)).toEqual(range(2, 221));
    const texts = messagesIn(back, conv).map((f) => f.d.payload.text as string);
    expect(texts.slice(0, 200).every((t) => t.startsWith('offline'))).toBe(true);
  });

  it('WebSocket send is idempotent by client_msg_id and refused for a conversation the user is not in', { timeout: 60_000 }, async () => {
    const [alice, bob, carol] = await Promise.all([
      registerAndLogin(frontend.url),
      registerAndLogin(frontend.url),
      registerAndLogin(frontend.url),
    ]);
    const conv = await conversation(alice, [alice, bob]);
    const theirs = await conversation(bob, [bob, carol]);
    const a = await connect(nodeA, alice);
    const clientMsgId = randomUUID();
    a.send('send', { client_msg_id: 'same-1', conversation_id: conv, payload: { type: 'text', text: 'once' } });
    const one = (await a.next('accepted', (d) => d.client_msg_id === 'same-1')).d.message_id;
    a.send('send', { client_msg_id: 'same-1', conversation_id: conv, payload: { type: 'text', text: 'once' } });
    await eventually(() => a.all('accepted').filter((f) => f.d.client_msg_id === 'same-1').length === 2, { what: 'second accepted' });
    expect(
      a
        .all('accepted')
        .filter((f) => f.d.client_msg_id === 'same-1')
        .map((f) => f.d.message_id),
    ).toEqual([one, one]);

    a.send('send', { client_msg_id: clientMsgId, conversation_id: theirs, payload: { type: 'text', text: 'let me in' } });
    expect((await a.next('error', (d) => d.client_msg_id === clientMsgId)).d).toMatchObject({ code: 'not_member', op: 'send' });
    a.send('send', { client_msg_id: 'empty', conversation_id: conv, payload: { type: 'text', text: '   ' } });
    expect((await a.next('error', (d) => d.client_msg_id === undefined && d.op === 'send')).d.code).toBe('validation_failed');
    a.send('read', { conversation_id: conv, up_to_seq: 99 });
    expect((await a.next('error', (d) => d.op === 'read')).d.code).toBe('sequence_out_of_range');

    await eventually(
      async () =>
        (await call('GET', `/v1/conversations/${conv}/messages?since=0&limit=10`, alice.accessToken)).body?.messages?.length === 1,
      { what: 'the message stored' },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const stored = (await call('GET', `/v1/conversations/${conv}/messages?since=0&limit=10`, alice.accessToken)).body.messages;
    expect(stored.map((m: { message_id: string }) => m.message_id)).toEqual([one]);
    expect((await call('GET', `/v1/conversations/${theirs}/messages?since=0&limit=10`, bob.accessToken)).body.messages).toEqual([]);
  });

  it("a SIGKILLed node's users turn offline within the TTL and resume on another node without loss", { timeout: 120_000 }, async () => {
    const [alice, bob] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
    const conv = await conversation(alice, [alice, bob]);
    // Alice hears of Bob's presence only once Bob accepted the conversation she started (docs/websocket.md, Privacy).
    expect((await call('POST', `/v1/conversations/${conv}/accept`, bob.accessToken)).status).toBe(200);
    const doomed = await spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-doomed' });
    try {
      const a = await connect(nodeA, alice);
      const onDoomed = await TestClient.connect(doomed.url, bob.accessToken, { heartbeatMs: 500 });
      await a.next('presence', (d) => d.user === bob.username && d.status === 'online', { timeoutMs: 20_000 });
      for (let i = 1; i <= 5; i++) await post(alice, conv, `before ${i}`);
      await until(onDoomed, conv, 5);
      await doomed.stop('SIGKILL');
      const killedAt = Date.now();
      const during = Promise.all(range(1, 5).map((n) => post(alice, conv, `during ${n}`)));
      await a.next('presence', (d) => d.user === bob.username && d.status === 'offline', { timeoutMs: 15_000 });
      expect(Date.now() - killedAt).toBeLessThanOrEqual(4_000 + 1_500);
      await during;
      for (let i = 1; i <= 5; i++) await post(alice, conv, `after ${i}`);
      await expectClose(onDoomed, 5_000).catch(() => {});

      const again = await connect(nodeB, bob);
      expect(await until(again, conv, 15)).toEqual(range(1, 15));
    } finally {
      await doomed.stop('SIGKILL');
    }
  });
});
