import { randomUUID } from 'node:crypto';
import { createRedis, type Redis } from '@hub/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, cleanupTestEnv, registerAndLogin, testFrontendEnv, type TestUser } from '../../../test/support/identity';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { TestClient, type Frame } from '../../../test/support/ws-client';

// Client-chosen message ids (body message_id, Idempotency-Key, WebSocket
// client_msg_id) belong to the caller who used them first (issue 22,
// finding 2). Every service is its own process on the real stack: frontend
// (REST accept), router (stores), presence (WebSocket `send`).
let env: Record<string, string>;
let frontend: ServiceProcess;
let presence: ServiceProcess;
/** The services' Redis, under their key prefix: to make a claim expire now. */
let redis: Redis;
const services: ServiceProcess[] = [];
const clients: TestClient[] = [];

interface Answer {
  status: number;
  body: any;
}

async function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${frontend.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function direct(owner: TestUser, other: TestUser): Promise<string> {
  const res = await call('POST', '/v1/conversations', owner.accessToken, { type: 'direct', members: [owner.username, other.username] });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body.conversation_id as string;
}

const send = (user: TestUser, conversationId: string, text: string, messageId?: string, headers: Record<string, string> = {}) =>
  call(
    'POST',
    '/v1/messages',
    user.accessToken,
    {
      ...(messageId ? { message_id: messageId } : {}),
      conversation_id: conversationId,
      from: user.username,
      payload: { type: 'text', text },
    },
    headers,
  );

/** The message as its sender reads it once the router stored it (the status API answers 404 until then). */
async function storedFor(user: TestUser, messageId: string): Promise<any> {
  return eventually(
    async () => {
      const res = await call('GET', `/v1/messages/${messageId}/status`, user.accessToken);
      return res.status === 200 ? res.body : undefined;
    },
    { what: `message ${messageId} stored and visible to ${user.username}`, timeoutMs: 30_000 },
  );
}

async function history(user: TestUser, conversationId: string): Promise<any[]> {
  const res = await call('GET', `/v1/conversations/${conversationId}/messages`, user.accessToken);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.messages as any[];
}

async function connect(user: TestUser): Promise<TestClient> {
  const c = await TestClient.connect(presence.url, user.accessToken, { heartbeatMs: 500 });
  clients.push(c);
  return c;
}

/** The answer to a `send`: its `accepted` or its `error` frame. */
async function answerTo(c: TestClient, clientMsgId: string): Promise<Frame> {
  return Promise.any([
    c.next('accepted', (d) => d.client_msg_id === clientMsgId, { timeoutMs: 20_000 }),
    c.next('error', (d) => d.client_msg_id === clientMsgId, { timeoutMs: 20_000 }),
  ]);
}

/** Gives the router time to store anything it was going to store (used only where the assertion is that nothing more appears). */
const settle = () => new Promise((r) => setTimeout(r, 1_500));

beforeAll(async () => {
  env = testFrontendEnv({ RATE_LIMIT_PER_MIN: '1000000', WS_RATE_PER_S: '200', WS_RATE_BURST: '200' });
  let router: ServiceProcess;
  [frontend, router, presence] = await Promise.all([
    spawnService('frontend', env),
    spawnService('router', env),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-ids' }),
  ]);
  services.push(frontend, router, presence);
  redis = createRedis({ url: env.REDIS_URL!, keyPrefix: env.REDIS_KEY_PREFIX! });
}, 180_000);

afterAll(async () => {
  redis?.disconnect();
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(services.map((s) => s.stop()));
  if (env) await cleanupTestEnv(env);
});

describe("client-chosen message ids are the first caller's", () => {
  it(
    'an id another user already used is refused with 409 naming message_id, and the first message stays theirs',
    { timeout: 90_000 },
    async () => {
      const [alice, bob, carol] = await Promise.all([
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
      ]);
      const [ac, bc] = await Promise.all([direct(alice, carol), direct(bob, carol)]);
      const id = randomUUID();

      const first = await send(bob, bc, 'bob first', id);
      expect(first.status, JSON.stringify(first.body)).toBe(202);
      const second = await send(alice, ac, 'alice later', id);
      expect(second.status, JSON.stringify(second.body)).toBe(409);
      expect(second.body).toMatchObject({ status: 409, errors: [expect.objectContaining({ field: 'message_id' })] });

      const stored = await storedFor(bob, id);
      expect(stored.conversation_id).toBe(bc);
      expect((await history(alice, ac)).map((m) => m.message_id)).not.toContain(id);
    },
  );

  it(
    'two users racing one id over REST: exactly one 202, the other 409, and the 202 is stored for its sender',
    { timeout: 90_000 },
    async () => {
      for (let round = 0; round < 5; round++) {
        const [alice, bob, carol] = await Promise.all([
          registerAndLogin(frontend.url),
          registerAndLogin(frontend.url),
          registerAndLogin(frontend.url),
        ]);
        const [ac, bc] = await Promise.all([direct(alice, carol), direct(bob, carol)]);
        const id = randomUUID();
        const [a, b] = await Promise.all([send(alice, ac, 'from alice', id), send(bob, bc, 'from bob', id)]);
        expect([a.status, b.status].sort(), JSON.stringify([a.body, b.body])).toEqual([202, 409]);
        const [winner, conv, loser] = a.status === 202 ? [alice, ac, b] : [bob, bc, a];
        expect(loser.body.errors).toEqual([expect.objectContaining({ field: 'message_id' })]);
        const stored = await storedFor(winner, id);
        expect(stored.conversation_id).toBe(conv);
        expect((await history(winner, conv)).map((m) => m.message_id)).toEqual([id]);
      }
    },
  );

  it(
    'two users racing one client_msg_id over WebSocket: one accepted, one error message_id_taken, and the accepted one is stored',
    { timeout: 90_000 },
    async () => {
      const [alice, bob, carol] = await Promise.all([
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
      ]);
      const [ac, bc] = await Promise.all([direct(alice, carol), direct(bob, carol)]);
      const [wa, wb] = await Promise.all([connect(alice), connect(bob)]);
      const id = randomUUID();
      wa.send('send', { client_msg_id: id, conversation_id: ac, payload: { type: 'text', text: 'ws alice' } });
      wb.send('send', { client_msg_id: id, conversation_id: bc, payload: { type: 'text', text: 'ws bob' } });
      const [fa, fb] = await Promise.all([answerTo(wa, id), answerTo(wb, id)]);
      expect([fa.op, fb.op].sort(), JSON.stringify([fa, fb])).toEqual(['accepted', 'error']);
      const [winner, conv, refused] = fa.op === 'accepted' ? [alice, ac, fb] : [bob, bc, fa];
      expect(refused.d).toMatchObject({ code: 'message_id_taken', client_msg_id: id });
      const accepted = fa.op === 'accepted' ? fa : fb;
      expect(accepted.d.message_id).toBe(id);
      expect((await storedFor(winner, id)).conversation_id).toBe(conv);

      // And across the two intakes: the id is taken for REST as well.
      const viaRest = await send(winner === alice ? bob : alice, winner === alice ? bc : ac, 'over REST', id);
      expect(viaRest.status, JSON.stringify(viaRest.body)).toBe(409);
    },
  );

  it('the same caller repeating a request gets the original answer and one stored message', { timeout: 90_000 }, async () => {
    const [alice, carol] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
    const ac = await direct(alice, carol);
    const id = randomUUID();
    const answers = await Promise.all([send(alice, ac, 'once', id), send(alice, ac, 'once', id)]);
    answers.push(await send(alice, ac, 'once', id));
    for (const a of answers) expect(a, JSON.stringify(a.body)).toMatchObject({ status: 202, body: { message_id: id } });

    // An Idempotency-Key (not a UUID) repeated: one id, one message.
    const key = `key-${randomUUID()}`;
    const k1 = await send(alice, ac, 'keyed', undefined, { 'idempotency-key': key });
    const k2 = await send(alice, ac, 'keyed', undefined, { 'idempotency-key': key });
    expect(k1.status, JSON.stringify(k1.body)).toBe(202);
    expect(k2).toMatchObject({ status: 202, body: { message_id: k1.body.message_id } });

    // Over WebSocket: the same client_msg_id twice answers the same message_id.
    const ws = await connect(alice);
    const wsId = randomUUID();
    ws.send('send', { client_msg_id: wsId, conversation_id: ac, payload: { type: 'text', text: 'ws once' } });
    const w1 = await answerTo(ws, wsId);
    ws.send('send', { client_msg_id: wsId, conversation_id: ac, payload: { type: 'text', text: 'ws once' } });
    const answersTo = () => [...ws.all('accepted'), ...ws.all('error')].filter((f) => f.d.client_msg_id === wsId);
    await eventually(() => answersTo().length >= 2, { what: 'the answer to the repeated send', timeoutMs: 20_000 });
    expect(w1).toMatchObject({ op: 'accepted', d: { message_id: wsId } });
    expect(answersTo()).toEqual([w1, expect.objectContaining({ op: 'accepted', d: expect.objectContaining({ message_id: wsId }) })]);

    await Promise.all([storedFor(alice, id), storedFor(alice, k1.body.message_id), storedFor(alice, wsId)]);
    await settle();
    const ids = (await history(alice, ac)).map((m) => m.message_id);
    expect(ids.filter((m) => m === id)).toHaveLength(1);
    expect(ids.filter((m) => m === k1.body.message_id)).toHaveLength(1);
    expect(ids.filter((m) => m === wsId)).toHaveLength(1);
    expect(ids).toHaveLength(3);
  });

  it('the same caller reusing an id for a different message gets 422 naming the field', { timeout: 90_000 }, async () => {
    const [alice, carol] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
    const ac = await direct(alice, carol);
    const id = randomUUID();
    expect((await send(alice, ac, 'original', id)).status).toBe(202);
    const changed = await send(alice, ac, 'something else', id);
    expect(changed.status, JSON.stringify(changed.body)).toBe(422);
    expect(changed.body).toMatchObject({ status: 422, errors: [expect.objectContaining({ field: 'message_id' })] });

    const key = randomUUID();
    expect((await send(alice, ac, 'keyed original', undefined, { 'idempotency-key': key })).status).toBe(202);
    const keyChanged = await send(alice, ac, 'keyed other', undefined, { 'idempotency-key': key });
    expect(keyChanged.status, JSON.stringify(keyChanged.body)).toBe(422);
    expect(keyChanged.body.errors).toEqual([expect.objectContaining({ field: 'header.Idempotency-Key' })]);

    const ws = await connect(alice);
    ws.send('send', { client_msg_id: id, conversation_id: ac, payload: { type: 'text', text: 'over ws, different' } });
    expect((await answerTo(ws, id)).d).toMatchObject({ code: 'message_id_reused', client_msg_id: id });

    const stored = await storedFor(alice, id);
    expect(stored.conversation_id).toBe(ac);
    await settle();
    const texts = (await history(alice, ac)).map((m) => m.payload.text);
    expect(texts.sort()).toEqual(['keyed original', 'original']);
  });

  it(
    "after the claim expired (or Redis lost it), a stored id is still its owner's: 409 for another caller and nothing dead-lettered, the owner's repeat 202",
    { timeout: 90_000 },
    async () => {
      const [alice, bob, carol] = await Promise.all([
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
      ]);
      const [ac, bc] = await Promise.all([direct(alice, carol), direct(bob, carol)]);
      const id = randomUUID();
      expect((await send(bob, bc, 'bob first', id)).status).toBe(202);
      expect((await storedFor(bob, id)).conversation_id).toBe(bc);
      // The claim's TTL runs out (or Redis restarts without its data): the key is gone.
      expect(await redis.del(`msgid:${id}`)).toBe(1);

      const later = await send(alice, ac, 'alice later', id);
      expect(later.status, JSON.stringify(later.body)).toBe(409);
      expect(later.body).toMatchObject({ status: 409, errors: [expect.objectContaining({ field: 'message_id' })] });
      // The claim is bob's again, set from the stored message.
      expect(await redis.get(`msgid:${id}`)).toBe(`user:${bob.username} stored`);

      // Over WebSocket, the same after another expiry.
      expect(await redis.del(`msgid:${id}`)).toBe(1);
      const ws = await connect(alice);
      ws.send('send', { client_msg_id: id, conversation_id: ac, payload: { type: 'text', text: 'alice over ws' } });
      expect((await answerTo(ws, id)).d).toMatchObject({ code: 'message_id_taken', client_msg_id: id });

      // Nothing of alice's went to the router: a later message of hers in the same conversation (same partition,
      // in order) is stored, so anything she had published before it was routed, and none of it was dead-lettered.
      const marker = await send(alice, ac, 'after the refusals');
      expect(marker.status, JSON.stringify(marker.body)).toBe(202);
      await storedFor(alice, marker.body.message_id);
      const admin = await adminToken(frontend.url, env);
      const dlq = await call('GET', '/v1/dlq/records?limit=100', admin);
      expect(dlq.status, JSON.stringify(dlq.body)).toBe(200);
      expect(dlq.body.records.filter((r: any) => r.message_id === id)).toEqual([]);
      expect((await history(alice, ac)).map((m) => m.message_id)).toEqual([marker.body.message_id]);

      // bob, the owner, repeating after the expiry: the original answer. Something else under his id: 422.
      expect(await redis.del(`msgid:${id}`)).toBe(1);
      const repeat = await send(bob, bc, 'bob first', id);
      expect(repeat, JSON.stringify(repeat.body)).toMatchObject({ status: 202, body: { message_id: id } });
      const changed = await send(bob, bc, 'bob changed', id);
      expect(changed.status, JSON.stringify(changed.body)).toBe(422);
      expect(changed.body.errors).toEqual([expect.objectContaining({ field: 'message_id' })]);
      expect((await send(bob, bc, 'bob first', id)).status).toBe(202);
      await settle();
      expect((await history(bob, bc)).map((m) => [m.message_id, m.payload.text])).toEqual([[id, 'bob first']]);
    },
  );
});
