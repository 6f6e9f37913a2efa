import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Topics, type StoredMessage } from '@hub/domain';
import { MongoSequenceSlots } from '@hub/messages/adapters';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { PipelineDriver } from './pipeline-driver';
import { presenceEnv, TestStores, username, userToken, watchTopic } from './support';
import { expectClose, TestClient, type Frame } from '../../../test/support/ws-client';

// Presence nodes as separate processes; messages are stored and routed by a
// driver doing the route worker's steps with the real pipeline stores and the
// real internal delivery, so each test controls when a message arrives.
const env = presenceEnv({
  PRESENCE_TTL_MS: '4000',
  CATCH_UP_PAGE_SIZE: '50',
  WS_RATE_PER_S: '500',
  WS_RATE_BURST: '500',
  WS_SEND_BUFFER_BYTES: '262144',
});
let nodeA: ServiceProcess;
let nodeB: ServiceProcess;
let stores: TestStores;
let driver: PipelineDriver;
let statuses: Awaited<ReturnType<typeof watchTopic>>;
const clients: TestClient[] = [];

async function connect(node: ServiceProcess, user: string): Promise<TestClient> {
  const c = await TestClient.connect(node.url, await userToken(env, user), { heartbeatMs: 500 });
  clients.push(c);
  return c;
}

const seqs = (c: TestClient, conversationId: string) =>
  c
    .all('message')
    .filter((f) => f.d.conversation_id === conversationId)
    .map((f) => f.d.sequence_number as number);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function messagesUntil(c: TestClient, conversationId: string, last: number, timeoutMs = 20_000): Promise<number[]> {
  await eventually(() => seqs(c, conversationId).includes(last), {
    what: `message ${last} on ${conversationId}`,
    timeoutMs,
    intervalMs: 50,
  });
  return seqs(c, conversationId);
}

beforeAll(async () => {
  stores = new TestStores(env);
  driver = new PipelineDriver(env);
  [nodeA, nodeB] = await Promise.all([
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-a' }),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-b' }),
  ]);
  statuses = await watchTopic(env, Topics.status);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await statuses?.stop();
  await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  await driver?.close();
  await stores?.close();
});

describe('live delivery', () => {
  it('pushes messages to every connection of the recipient, on any node, in order, once each; offline recipients stay pending', async () => {
    const alice = username('alice');
    const bob = username('bob');
    const conv = await stores.conversation([alice, bob]);
    const offline = await driver.send(conv, alice, [bob], 'before bob connects');
    expect(offline.outcomes).toEqual([{ kind: 'pending', detail: expect.any(String) }]);

    const phone = await connect(nodeA, bob);
    const laptop = await connect(nodeB, bob);
    for (const c of [phone, laptop]) expect(await messagesUntil(c, conv, 1)).toEqual([1]);
    for (let i = 2; i <= 30; i++) {
      const { outcomes } = await driver.send(conv, alice, [bob], `m${i}`);
      expect(outcomes[0]!.kind).toBe('sent');
    }
    for (const c of [phone, laptop]) expect(await messagesUntil(c, conv, 30)).toEqual(range(1, 30));
    // Each exactly once: nothing more arrives.
    await new Promise((r) => setTimeout(r, 300));
    for (const c of [phone, laptop]) expect(seqs(c, conv)).toEqual(range(1, 30));
    const frame = phone.all('message').at(-1)!.d;
    expect(frame).toMatchObject({ conversation_id: conv, sequence_number: 30, from: alice, payload: { type: 'text', text: 'm30' } });
    expect(Object.keys(frame).sort()).toEqual(['conversation_id', 'created_at', 'from', 'message_id', 'payload', 'sequence_number']);
  });
});

describe('offline and resume', () => {
  it(
    'delivers 200 messages stored while offline, oldest first, then live ones, with no gap — also when live ones arrive during the catch-up',
    { timeout: 180_000 },
    async () => {
      const alice = username('alice');
      const bob = username('bob');
      const conv = await stores.conversation([alice, bob]);
      for (let i = 1; i <= 200; i++) await driver.send(conv, alice, [bob], `offline ${i}`);

      const bobWs = await connect(nodeA, bob);
      // Live messages race the catch-up: sent right after the connection opened, while 200 are read page by page.
      for (let i = 201; i <= 230; i++) await driver.send(conv, alice, [bob], `live ${i}`);
      expect(await messagesUntil(bobWs, conv, 230)).toEqual(range(1, 230));
      await driver.send(conv, alice, [bob], 'after');
      expect(await messagesUntil(bobWs, conv, 231)).toEqual(range(1, 231));
    },
  );

  it("resumes after the last acknowledged sequence on reconnect, and from the client's own sequence on `resume`", async () => {
    const alice = username('alice');
    const bob = username('bob');
    const conv = await stores.conversation([alice, bob]);
    for (let i = 1; i <= 10; i++) await driver.send(conv, alice, [bob], `m${i}`);
    const first = await connect(nodeA, bob);
    await messagesUntil(first, conv, 10);
    first.send('ack', { message_id: first.all('message').find((f) => f.d.sequence_number === 6)!.d.message_id });
    await eventually(
      () =>
        statuses.envelopes.some((e) => e.payload.recipient === bob && e.payload.status === 'delivered' && e.payload.sequence_number === 6),
      { what: 'delivered status of 6' },
    );
    await first.close();
    for (let i = 11; i <= 12; i++) await driver.send(conv, alice, [bob], `m${i}`);

    // delivered_seq is 6: the next connection gets 7..12.
    const second = await connect(nodeB, bob);
    expect(await messagesUntil(second, conv, 12)).toEqual(range(7, 12));
    const mark = second.frames.length;
    second.send('resume', { conversations: { [conv]: 9 } });
    await eventually(() => second.frames.slice(mark).filter((f) => f.op === 'message').length === 3, { what: 'resumed messages' });
    expect(
      second.frames
        .slice(mark)
        .filter((f) => f.op === 'message')
        .map((f) => f.d.sequence_number),
    ).toEqual([10, 11, 12]);
  });
});

describe('receipts', () => {
  it('ack → delivered and read → read reach hub.status.v1 and the sender as status frames, never backwards', async () => {
    const alice = username('alice');
    const bob = username('bob');
    const conv = await stores.conversation([alice, bob]);
    const aliceWs = await connect(nodeA, alice);
    const bobWs = await connect(nodeB, bob);
    const sent: StoredMessage[] = [];
    for (let i = 1; i <= 3; i++) sent.push((await driver.send(conv, alice, [bob], `m${i}`)).message);
    await messagesUntil(bobWs, conv, 3);
    bobWs.send('ack', { message_id: sent[0]!.message_id });
    bobWs.send('read', { conversation_id: conv, up_to_seq: 2 });
    bobWs.send('ack', { message_id: sent[0]!.message_id });

    const statusOf = (c: TestClient, id: string) =>
      c
        .all('status')
        .filter((f: Frame) => f.d.message_id === id)
        .map((f: Frame) => f.d.status);
    await eventually(() => statusOf(aliceWs, sent[1]!.message_id).includes('read'), {
      what: 'read status frame for message 2',
      timeoutMs: 30_000,
    });
    expect(statusOf(aliceWs, sent[0]!.message_id)).toEqual(['delivered', 'read']);
    expect(statusOf(aliceWs, sent[1]!.message_id)).toEqual(['delivered', 'read']);
    expect(aliceWs.all('status')[0]!.d).toEqual({
      message_id: sent[0]!.message_id,
      conversation_id: conv,
      recipient: bob,
      channel: 'internal',
      status: 'delivered',
    });
    expect(statusOf(aliceWs, sent[2]!.message_id)).toEqual([]);

    const events = statuses.envelopes.filter((e) => e.type === 'message.status' && e.payload.conversation_id === conv);
    expect(events.filter((e) => e.payload.message_id === sent[1]!.message_id).map((e) => e.payload.status)).toEqual(['delivered', 'read']);
    expect(events.every((e) => e.payload.recipient === bob && e.payload.channel === 'internal' && e.payload.from === alice)).toBe(true);
  });

  it('answers bad receipts with error frames: read beyond the end, not a member, unknown message', async () => {
    const alice = username('alice');
    const bob = username('bob');
    const conv = await stores.conversation([alice, bob]);
    const elsewhere = await stores.conversation([alice, username()]);
    await driver.send(conv, alice, [bob], 'one');
    const bobWs = await connect(nodeA, bob);
    await messagesUntil(bobWs, conv, 1);
    bobWs.send('read', { conversation_id: conv, up_to_seq: 5 });
    expect((await bobWs.next('error', (d) => d.op === 'read')).d).toMatchObject({
      code: 'sequence_out_of_range',
      message: expect.stringMatching(/last sequence 1/),
    });
    bobWs.send('read', { conversation_id: elsewhere, up_to_seq: 1 });
    await bobWs.next('error', (d) => d.code === 'not_member');
    bobWs.send('ack', { message_id: '0190aaaa-0000-7000-8000-000000000000' });
    await bobWs.next('error', (d) => d.code === 'not_found' && d.op === 'ack');
    bobWs.send('resume', { conversations: { [elsewhere]: 0 } });
    await bobWs.next('error', (d) => d.code === 'not_member' && d.op === 'resume');
    bobWs.send('ping');
    await bobWs.next('pong');
    expect(bobWs.ws.readyState).toBe(1);
  });
});

describe('protection', () => {
  it('still serves other users when one is cut for not reading', { timeout: 120_000 }, async () => {
    const alice = username('alice');
    const bob = username('bob');
    const carol = username('carol');
    const conv = await stores.conversation([alice, bob, carol]);
    const slow = await connect(nodeA, bob);
    const fine = await connect(nodeA, carol);
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    // Paused reading only: it still sends heartbeats, it is slow, not gone.
    socket.pause();
    // Larger than the API allows, to fill the kernel's socket buffers in a few hundred messages.
    const big = 'x'.repeat(60_000);
    let sent = 0;
    const cut = async () => /ws_slow_consumers_total\{[^}]*\} [1-9]/.test(await (await fetch(`${nodeA.url}/metrics`)).text());
    while (sent < 600 && !(await cut())) {
      for (let i = 0; i < 10; i++) await driver.send(conv, alice, [bob, carol], `${++sent} ${big}`);
    }
    expect(await cut()).toBe(true);
    socket.resume();
    expect((await expectClose(slow, 15_000)).code).toBe(4003);
    expect(await messagesUntil(fine, conv, sent)).toEqual(range(1, sent));
  });
});

// Last: a killed node's consumer-group membership delays status frames until the group rebalances.
describe('node crash', () => {
  it('resumes without loss on another node after its node was SIGKILLed', { timeout: 120_000 }, async () => {
    const alice = username('alice');
    const bob = username('bob');
    const conv = await stores.conversation([alice, bob]);
    const doomed = await spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-doomed' });
    try {
      const onDoomed = await TestClient.connect(doomed.url, await userToken(env, bob));
      for (let i = 1; i <= 5; i++) await driver.send(conv, alice, [bob], `m${i}`);
      await messagesUntil(onDoomed, conv, 5);
      onDoomed.send('ack', { message_id: onDoomed.all('message').find((f) => f.d.sequence_number === 5)!.d.message_id });
      await eventually(
        async () =>
          (
            await stores.mongo
              .db(env.MONGO_DB)
              .collection('memberships')
              .findOne({ _id: `${conv}|${bob}` as never })
          )?.delivered_seq === 5,
        { what: 'delivered_seq 5' },
      );
      await doomed.stop('SIGKILL');
      // Until the TTL runs out bob still looks online on the dead node: those pushes go nowhere, but every message is stored.
      for (let i = 6; i <= 10; i++) await driver.send(conv, alice, [bob], `m${i}`);
      await eventually(async () => (await driver.send(conv, alice, [bob], 'probe')).outcomes[0]!.kind === 'pending', {
        what: 'bob offline after the TTL',
        timeoutMs: 8_000,
        intervalMs: 500,
      });
      const last = await new MongoSequenceSlots(stores.mongo.db(env.MONGO_DB)).last(conv, 0);
      const again = await connect(nodeA, bob);
      expect(await messagesUntil(again, conv, last)).toEqual(range(6, last));
    } finally {
      await doomed.stop('SIGKILL');
    }
  });
});
