import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientsRepository } from '@hub/identity';
import { RedisSessionRevocations } from '@hub/identity/adapters';
import { EtcdStore } from '@hub/platform';
import { Topics } from '@hub/domain';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { expectClose, TestClient } from '../../../test/support/ws-client';
import { presenceEnv, TestStores, tokensFor, username, userToken } from './support';

// Two gateway nodes as separate processes sharing one (isolated) stack
// namespace, as in production; tests connect users to either.
const env = presenceEnv({ WS_MAX_FRAME_BYTES: '4096', WS_RATE_PER_S: '20', WS_RATE_BURST: '20', WS_SEND_BUFFER_BYTES: '65536' });
let nodeA: ServiceProcess;
let nodeB: ServiceProcess;
let stores: TestStores;
const clients: TestClient[] = [];

/** Connects with heartbeats every 300 ms unless `silent` (the tests of heartbeats and floods count frames). */
async function connect(
  node: ServiceProcess,
  user: string,
  opts: { sessionId?: string; viaQuery?: boolean; silent?: boolean } = {},
): Promise<TestClient> {
  const c = await TestClient.connect(node.url, await userToken(env, user, opts), { ...opts, ...(opts.silent ? {} : { heartbeatMs: 300 }) });
  clients.push(c);
  return c;
}

async function presenceOf(node: ServiceProcess, asUser: string, user: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.url}/v1/presence/${user}`, { headers: { authorization: `Bearer ${await userToken(env, asUser)}` } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  stores = new TestStores(env);
  [nodeA, nodeB] = await Promise.all([
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-a' }),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-b' }),
  ]);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await stores?.close();
});

describe('handshake', () => {
  it('refuses missing, invalid and expired tokens and API client tokens with problem+json before the upgrade', async () => {
    const none = await TestClient.refused(nodeA.url);
    expect(none.status).toBe(401);
    expect(none.body.detail).toMatch(/access token/);

    const forged = await TestClient.refused(nodeA.url, { token: await userToken(presenceEnv(), 'mallory') });
    expect(forged.status).toBe(401);
    expect(forged.body.title).toBe('Invalid or expired token');

    const expired = await TestClient.refused(nodeA.url, { token: await userToken(env, 'alice', { ttlSeconds: -5 }) });
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toMatch(/expired/);

    const garbage = await TestClient.refused(nodeA.url, { query: '?access_token=not.a.jwt' });
    expect(garbage.status).toBe(401);

    // An API client: refused while unknown (401), and even once registered, WebSocket is for end users (403).
    const unknownClient = await tokensFor(env).issue({ kind: 'client', subject: 'crm', scopes: ['messages:send'] });
    expect((await TestClient.refused(nodeA.url, { token: unknownClient })).status).toBe(401);
    const etcd = new EtcdStore({ hosts: env.ETCD_HOSTS!.split(','), namespace: env.ETCD_NAMESPACE! });
    try {
      const { client } = await new ClientsRepository(etcd).create({ name: 'crm', scopes: ['messages:send'] });
      const clientToken = await tokensFor(env).issue({ kind: 'client', subject: client.client_id, scopes: ['messages:send'] });
      const refused = await eventually(
        async () => {
          const r = await TestClient.refused(nodeA.url, { token: clientToken });
          return r.status === 403 ? r : undefined;
        },
        { what: 'the node to see the new API client' },
      );
      expect(refused.body.detail).toMatch(/end users/);
    } finally {
      etcd.close();
    }

    const elsewhere = await TestClient.refused(nodeA.url, { path: '/v1/other', token: await userToken(env, 'alice') });
    expect(elsewhere.status).toBe(404);
  });

  it('accepts a token in the header or the access_token query parameter and says hello with the heartbeat interval', async () => {
    const user = username();
    const viaHeader = await connect(nodeA, user);
    const viaQuery = await connect(nodeB, user, { viaQuery: true });
    for (const c of [viaHeader, viaQuery]) {
      const hello = c.frames[0]!;
      expect(hello.op).toBe('hello');
      expect(hello.d.heartbeat_interval).toBe(1000);
      expect(hello.d.user).toBe(user);
    }
    expect(viaHeader.frames[0]!.d.node).toBe('node-a');
    expect(viaQuery.frames[0]!.d.node).toBe('node-b');
    viaHeader.send('ping');
    await viaHeader.next('pong');
  });

  it('closes a socket whose access token expires while connected with 4010', async () => {
    const c = await TestClient.connect(nodeA.url, await userToken(env, username(), { ttlSeconds: 2 }), { heartbeatMs: 300 });
    clients.push(c);
    const closed = await expectClose(c, 6_000);
    expect(closed.code).toBe(4010);
    expect(closed.reason).toMatch(/expired/);
  });

  it('closes a socket that stops sending heartbeats with 4002', async () => {
    const c = await connect(nodeA, username(), { silent: true });
    const started = Date.now();
    const closed = await expectClose(c, 10_000);
    expect(closed.code).toBe(4002);
    // 1 s interval × 3 misses, checked every half interval.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });
});

describe('presence', () => {
  it('announces online and offline to conversation peers on other nodes, across devices, and publishes PresenceEvents', async () => {
    const alice = username('alice');
    const bob = username('bob');
    const carol = username('carol');
    await stores.conversation([alice, bob]);

    const bobWs = await connect(nodeB, bob);
    bobWs.send('ping');
    expect((await presenceOf(nodeA, bob, alice)).body).toEqual({ user: alice, status: 'offline' });

    const phone = await connect(nodeA, alice);
    await bobWs.next('presence', (d) => d.user === alice && d.status === 'online');
    expect((await presenceOf(nodeB, bob, alice)).body).toEqual({ user: alice, status: 'online' });
    expect((await presenceOf(nodeA, alice, alice)).body.status).toBe('online');
    // No shared conversation: not yours to know.
    const forbidden = await presenceOf(nodeA, carol, alice);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toMatch(/not shared with you/);
    expect((await fetch(`${nodeA.url}/v1/presence/${alice}`)).status).toBe(401);
    expect((await presenceOf(nodeA, bob, 'NOT a name')).status).toBe(400);

    // A second device: still one online transition, and closing one device keeps her online.
    const laptop = await connect(nodeB, alice);
    const mark = bobWs.frames.length;
    await phone.close();
    await new Promise((r) => setTimeout(r, 500));
    expect((await presenceOf(nodeB, bob, alice)).body.status).toBe('online');
    await laptop.close();
    await bobWs.next('presence', (d) => d.user === alice && d.status === 'offline', { from: mark });
    expect(bobWs.frames.slice(mark).filter((f) => f.op === 'presence' && f.d.user === alice)).toHaveLength(1);
    expect((await presenceOf(nodeB, bob, alice)).body.status).toBe('offline');
    expect(bobWs.all('presence').filter((f) => f.d.user === alice && f.d.status === 'online')).toHaveLength(1);

    const events = await readPresenceEvents(alice, 2);
    expect(events.map((e) => e.status)).toEqual(['online', 'offline']);
  });

  it('fans typing out to the conversation peers with an expiry, and refuses typing in a conversation the user is not in', async () => {
    const alice = username('alice');
    const bob = username('bob');
    const conv = await stores.conversation([alice, bob]);
    const other = await stores.conversation([bob, username()]);
    const a = await connect(nodeA, alice);
    const b = await connect(nodeB, bob);
    a.send('typing', { conversation_id: conv });
    const typing = await b.next('typing');
    expect(typing.d).toEqual({ conversation_id: conv, user: alice, expires_in_ms: 6000 });
    a.send('typing', { conversation_id: other });
    expect((await a.next('error', (d) => d.op === 'typing')).d.code).toBe('not_member');
    a.send('typing', { conversation_id: conv, user: bob });
    expect((await a.next('error', (d) => d.code === 'forbidden')).d.op).toBe('typing');
  });

  it('disconnects every socket of a revoked session within a second, and refuses its token afterwards', async () => {
    const user = username();
    const sessionId = randomUUID();
    const token = await userToken(env, user, { sessionId });
    const onA = await TestClient.connect(nodeA.url, token);
    const onB = await TestClient.connect(nodeB.url, token);
    const otherSession = await connect(nodeA, user);
    const redis = new Redis(env.REDIS_URL!, { keyPrefix: env.REDIS_KEY_PREFIX });
    try {
      const revokedAt = Date.now();
      await new RedisSessionRevocations(redis, 60_000).revoke(sessionId);
      const [a, b] = await Promise.all([expectClose(onA, 2_000), expectClose(onB, 2_000)]);
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      expect([a.code, b.code]).toEqual([4001, 4001]);
      otherSession.send('ping');
      await otherSession.next('pong');
      expect((await TestClient.refused(nodeA.url, { token })).status).toBe(401);
    } finally {
      redis.disconnect();
    }
  });
});

describe('status frames', () => {
  it("relays statuses from hub.status.v1 to the sender's connections on any node", async () => {
    const alice = username('alice');
    const phone = await connect(nodeA, alice);
    const laptop = await connect(nodeB, alice);
    const kafka = new Kafka({ clientId: 'presence-test', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const messageId = randomUUID();
      const conversationId = randomUUID();
      const status = {
        message_id: messageId,
        conversation_id: conversationId,
        recipient: 'bob',
        channel: 'internal',
        status: 'delivered',
        from: alice,
        submitted_by: `user:${alice}`,
        occurred_at: new Date().toISOString(),
      };
      const envelope = { type: 'message.status', version: 1, id: randomUUID(), occurred_at: new Date().toISOString(), payload: status };
      // The nodes' consumer group may still be joining: publish until the first frame arrives.
      await eventually(
        async () => {
          await producer.send({
            topic: `${env.KAFKA_NAME_PREFIX}${Topics.status}`,
            messages: [{ key: conversationId, value: JSON.stringify(envelope) }],
          });
          return phone.all('status').length > 0;
        },
        { what: 'a status frame', timeoutMs: 30_000, intervalMs: 1_000 },
      );
      const expected = {
        message_id: messageId,
        conversation_id: conversationId,
        recipient: 'bob',
        channel: 'internal',
        status: 'delivered',
      };
      expect(phone.all('status')[0]!.d).toEqual(expected);
      expect((await laptop.next('status')).d).toEqual(expected);
    } finally {
      await producer.disconnect();
    }
  });
});

describe('bad input', () => {
  it('answers garbage, unknown ops and invalid frames with error frames and keeps the socket', async () => {
    const c = await connect(nodeA, username());
    c.sendRaw('{not json');
    expect((await c.next('error')).d.code).toBe('invalid_json');
    c.sendRaw(JSON.stringify({ op: 'teleport', d: {} }));
    expect((await c.next('error', (d) => d.code === 'unknown_op')).d.message).toMatch(/teleport/);
    c.sendRaw(JSON.stringify({ d: {} }));
    await c.next('error', (d) => d.code === 'invalid_frame');
    c.sendRaw(JSON.stringify({ op: 'typing', d: { conversation_id: 'nope' } }));
    expect((await c.next('error', (d) => d.code === 'validation_failed')).d.message).toMatch(/conversation_id/);
    const mark = c.frames.length;
    c.sendRaw(JSON.stringify({ op: 'ping', d: {}, extra: 1 }));
    expect((await c.next('error', (d) => d.code === 'invalid_frame', { from: mark })).d.message).toMatch(/extra/);
    c.sendRaw(Buffer.from([1, 2, 3]));
    await c.next('error', (d) => /binary/.test(d.message));
    c.send('ping');
    await c.next('pong');
  });

  it('closes an oversized frame with 1009 and a frame flood with 4008, while other users are unaffected', async () => {
    const bystander = await connect(nodeA, username());
    const big = await connect(nodeA, username());
    big.sendRaw(JSON.stringify({ op: 'ping', d: {}, pad: 'x'.repeat(5_000) }));
    expect((await expectClose(big)).code).toBe(1009);

    const flooder = await connect(nodeA, username(), { silent: true });
    for (let i = 0; i < 200; i++) flooder.send('ping');
    const closed = await expectClose(flooder);
    expect(closed.code).toBe(4008);
    expect(flooder.all('error').filter((f) => f.d.code === 'rate_limited')).toHaveLength(1);
    // Within the burst, answered; past it, dropped rather than answered.
    expect(flooder.all('pong').length).toBeLessThanOrEqual(21);

    bystander.send('ping');
    await bystander.next('pong');
    expect((await fetch(`${nodeA.url}/health/live`)).status).toBe(200);
  });

  it('disconnects a client that does not read (send buffer full) with 4003', async () => {
    const user = username();
    const slow = await connect(nodeB, user);
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const redis = new Redis(env.REDIS_URL!);
    try {
      const frame = { op: 'typing', d: { conversation_id: randomUUID(), user: 'x', expires_in_ms: 1, pad: 'y'.repeat(16_000) } };
      const payload = JSON.stringify({ users: [user], frame });
      await eventually(
        async () => {
          for (let i = 0; i < 50; i++) await redis.publish(`${env.REDIS_KEY_PREFIX}deliver:node-b`, payload);
          const metrics = await (await fetch(`${nodeB.url}/metrics`)).text();
          return /ws_slow_consumers_total\{[^}]*\} [1-9]/.test(metrics);
        },
        { what: 'the node to cut the slow consumer', timeoutMs: 20_000, intervalMs: 50 },
      );
      socket.resume();
      expect((await expectClose(slow)).code).toBe(4003);
    } finally {
      redis.disconnect();
    }
  });
});

describe('node shutdown', () => {
  it('on SIGTERM closes its sockets with 1001, announces its users offline and exits cleanly', async () => {
    const leaving = await spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-leaving' });
    try {
      const alice = username('alice');
      const bob = username('bob');
      await stores.conversation([alice, bob]);
      const b = await connect(nodeA, bob);
      const a = await TestClient.connect(leaving.url, await userToken(env, alice), { heartbeatMs: 300 });
      await b.next('presence', (d) => d.user === alice && d.status === 'online');
      const exit = leaving.stop('SIGTERM');
      expect((await expectClose(a)).code).toBe(1001);
      await b.next('presence', (d) => d.user === alice && d.status === 'offline', { timeoutMs: 5_000 });
      expect(await exit).toBe(0);
    } finally {
      await leaving.stop('SIGKILL');
    }
  });
});

describe('node crash', () => {
  it('turns the users of a SIGKILLed node offline within the TTL, announced to peers on other nodes', async () => {
    const doomed = await spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-doomed' });
    try {
      const alice = username('alice');
      const bob = username('bob');
      await stores.conversation([alice, bob]);
      const b = await connect(nodeA, bob);
      const a = await TestClient.connect(doomed.url, await userToken(env, alice));
      await b.next('presence', (d) => d.user === alice && d.status === 'online');
      await doomed.stop('SIGKILL');
      const killedAt = Date.now();
      await b.next('presence', (d) => d.user === alice && d.status === 'offline', { timeoutMs: 6_000 });
      const elapsed = Date.now() - killedAt;
      expect(elapsed).toBeLessThanOrEqual(3_000 + 500);
      expect((await presenceOf(nodeA, bob, alice)).body.status).toBe('offline');
      await a.close();
    } finally {
      await doomed.stop('SIGKILL');
    }
  });
});

async function readPresenceEvents(user: string, count: number): Promise<Array<{ user: string; status: string }>> {
  const kafka = new Kafka({ clientId: 'presence-test', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `t-${randomUUID()}` });
  const seen: Array<{ user: string; status: string }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: `${env.KAFKA_NAME_PREFIX}${Topics.presence}`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const envelope = JSON.parse(message.value!.toString()) as { type: string; payload: { user: string; status: string } };
        if (message.key?.toString() === user && envelope.type === 'presence.changed') seen.push(envelope.payload);
      },
    });
    await eventually(() => seen.length >= count, { what: `${count} presence events for ${user}`, timeoutMs: 20_000 });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
