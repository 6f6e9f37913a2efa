import { ROOT_CONTEXT } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_ACCEPTED, makeEnvelope, newId, type MessageEvent } from '@hub/domain';
import { pipelineIndexes } from '@hub/messages';
import {
  MongoConversationAcceptances,
  MongoConversationStore,
  MongoMessageStore,
  MongoRejectedRecords,
  MongoSequenceSlots,
} from '@hub/messages/adapters';
import {
  connectMongo,
  createLogger,
  ensureIndexes,
  type BatchContext,
  type ConsumedRecord,
  type EventPublisher,
  type MongoHandle,
  type OutgoingEvent,
} from '@hub/platform';
import { Registry } from 'prom-client';
import { stackEnv } from '../../../test/support/stack-env';
import type { DeliveryRequest } from '../src/ports/hand-over';
import { createRouteMetrics } from '../src/route/route-metrics';
import { createRouteHandler } from '../src/route/route-handler';
import { SenderAcceptances } from '../src/route/sender-acceptances';

/**
 * The route handler on the real MongoDB-compatible server, with batches
 * failing part-way as a crash would leave them, and retried the way the
 * consumer redelivers them (same records, from the same first offset).
 * Delivery and publishing are recorded in memory: what is checked here is
 * the handler's bookkeeping in the store.
 */
let mongo: MongoHandle;
beforeAll(async () => {
  mongo = await connectMongo({ url: stackEnv().MONGO_URL!, database: `t-${randomUUID()}` });
  await ensureIndexes(mongo.db, pipelineIndexes);
});
afterAll(async () => {
  await mongo.db.dropDatabase();
  await mongo.close();
});

function setup() {
  const delivered: string[] = [];
  const published: OutgoingEvent[] = [];
  const faults = { publish: 0, insert: 0 };
  const store = new MongoMessageStore(mongo.db);
  const messages = Object.assign(Object.create(store) as MongoMessageStore, {
    insert: async (...args: Parameters<MongoMessageStore['insert']>) => {
      if (faults.insert > 0) {
        faults.insert--;
        throw new Error('simulated crash before the insert');
      }
      return store.insert(...args);
    },
  });
  const publisher: EventPublisher = {
    publish: async (e) => publisher.publishMany([e]),
    publishMany: async (events) => {
      if (faults.publish > 0) {
        faults.publish--;
        throw new Error('simulated crash after the insert');
      }
      published.push(...events);
    },
  };
  const routeHandler = createRouteHandler({
    messages,
    sequences: new MongoConversationStore(mongo.db),
    slots: new MongoSequenceSlots(mongo.db),
    rejected: new MongoRejectedRecords(mongo.db),
    senders: new SenderAcceptances(new MongoConversationAcceptances(mongo.db), 100),
    handOver: {
      deliver: async (reqs: readonly DeliveryRequest[]) =>
        reqs.map((r) => (delivered.push(r.message.message_id), { kind: 'pending' as const })),
    },
    publisher,
    logger: createLogger({ service: 'test', level: 'silent' }),
    metrics: createRouteMetrics(new Registry()),
    sequenceCacheSize: 100,
  });
  // One partition's batch per call, as most tests here need; `together` hands several partitions' batches to one call.
  const handler = (recs: ConsumedRecord[], c: BatchContext) => routeHandler([{ records: recs, ctx: c }]);
  const together = (...batches: Array<[ConsumedRecord[], BatchContext]>) =>
    routeHandler(batches.map(([records, c]) => ({ records, ctx: c })));
  return { handler, together, delivered, published, faults, store };
}

async function conversation(): Promise<string> {
  const id = newId();
  await new MongoConversationStore(mongo.db).create({
    conversation_id: id,
    type: 'direct',
    members: ['anna', 'bobby'],
    created_at: new Date().toISOString(),
    created_by: 'user:anna',
  });
  return id;
}

const event = (conversationId: string, id = newId()): MessageEvent => ({
  message_id: id,
  conversation_id: conversationId,
  from: 'anna',
  to: ['bobby'],
  channels: ['internal'],
  payload: { type: 'text', text: 'hi' },
  source: 'api',
  accepted_at: new Date().toISOString(),
  submitted_by: 'user:anna',
});
const records = (events: MessageEvent[], firstOffset: number, partition = 0): ConsumedRecord[] =>
  events.map((e, i) => ({
    topic: 'hub.messages.v1',
    partition,
    offset: String(firstOffset + i),
    key: e.conversation_id,
    timestamp: Date.now(),
    headers: {},
    traceContext: ROOT_CONTEXT,
    envelope: makeEnvelope(MESSAGE_ACCEPTED, e),
  }));
const ctxOf = (partition: number): BatchContext => ({
  topic: 'hub.messages.v1',
  partition,
  isRunning: () => true,
  heartbeat: async () => {},
  highWatermark: '1000',
});
const ctx = ctxOf(0);

async function numbers(conversationId: string): Promise<Array<[string, number]>> {
  const docs = await mongo.db.collection('messages').find({ conversation_id: conversationId }).toArray();
  return docs.map((d) => [d.message_id as string, d.sequence_number as number] as [string, number]).sort((a, b) => a[1] - b[1]);
}

describe('route handler retried after a failure part-way (real server)', () => {
  it('routes again what an attempt stored but did not finish, and skips a later re-send of a finished message', async () => {
    const c = await conversation();
    const { handler, delivered, published, faults } = setup();
    const first = [event(c), event(c), event(c)];
    faults.publish = 1;
    await expect(handler(records(first, 10), ctx)).rejects.toThrow(/after the insert/);
    await handler(records(first, 10), ctx);
    expect(await numbers(c)).toEqual(first.map((e, i) => [e.message_id, i + 1]));
    // Delivered by the failed attempt and again by the retry: its statuses were never published.
    expect(delivered).toEqual([...first, ...first].map((e) => e.message_id));
    expect(published.map((p) => (p.envelope.payload as { message_id: string }).message_id)).toEqual(first.map((e) => e.message_id));

    delivered.length = 0;
    const later = event(c);
    await handler(records([event(c, first[1]!.message_id), later], 13), ctx);
    expect(delivered).toEqual([later.message_id]);
    expect(await numbers(c)).toEqual([...first, later].map((e, i) => [e.message_id, i + 1]));
  });

  it('gives messages numbered by an attempt that stopped before the insert the same numbers, in a fresh worker', async () => {
    const c = await conversation();
    const a = setup();
    const batch = [event(c), event(c), event(c), event(c)];
    a.faults.insert = 1;
    await expect(a.handler(records(batch, 50), ctx)).rejects.toThrow(/before the insert/);
    // The partition's next owner sees the first two alone, then the rest with a new one.
    const b = setup();
    await b.handler(records(batch.slice(0, 2), 50), ctx);
    const extra = event(c);
    await b.handler(records([...batch.slice(2), extra], 52), ctx);
    expect(await numbers(c)).toEqual([...batch, extra].map((e, i) => [e.message_id, i + 1]));
    expect(await mongo.db.collection('sequence_slots').countDocuments({ conversation_id: c })).toBe(5);
  });

  it("records that a stored message's sender accepted the conversation (presence privacy), once", async () => {
    const c = await conversation();
    const acceptances = new MongoConversationAcceptances(mongo.db);
    const reply: MessageEvent = { ...event(c), from: 'bobby', to: ['anna'], submitted_by: 'user:bobby' };
    expect(await acceptances.hasAccepted(c, 'bobby')).toBe(false);
    const { handler } = setup();
    await handler(records([reply], 200), ctx);
    expect(await acceptances.hasAccepted(c, 'bobby')).toBe(true);
    const doc = await mongo.db.collection('memberships').findOne({ _id: `${c}|bobby` as never });
    expect(doc?.accepted_at).toBe(reply.accepted_at);
    // A later message, in a fresh worker (nothing cached), keeps the first acceptance time.
    await setup().handler(records([{ ...reply, message_id: newId(), accepted_at: new Date(Date.now() + 60_000).toISOString() }], 201), ctx);
    expect((await mongo.db.collection('memberships').findOne({ _id: `${c}|bobby` as never }))?.accepted_at).toBe(reply.accepted_at);
  });

  it('re-reads its counter when another worker numbered the conversation meanwhile', async () => {
    const c = await conversation();
    const a = setup();
    const b = setup();
    const m1 = event(c);
    await a.handler(records([m1], 100), ctx);
    const m2 = event(c);
    await b.handler(records([m2], 101), ctx); // the partition was elsewhere for a while
    const m3 = event(c);
    await expect(a.handler(records([m3], 102), ctx)).rejects.toThrow(/taken by another message/);
    await a.handler(records([m3], 102), ctx);
    expect(await numbers(c)).toEqual([m1, m2, m3].map((e, i) => [e.message_id, i + 1]));
  });

  it('handles several partitions in one call, each judged by its own first offset', async () => {
    const [a, b] = [await conversation(), await conversation()];
    const { together, delivered, faults } = setup();
    const onA = [event(a), event(a)];
    const onB = [event(b)];
    faults.publish = 1;
    await expect(together([records(onA, 500, 0), ctxOf(0)], [records(onB, 5, 1), ctxOf(1)])).rejects.toThrow(/after the insert/);
    await together([records(onA, 500, 0), ctxOf(0)], [records(onB, 5, 1), ctxOf(1)]);
    expect(await numbers(a)).toEqual(onA.map((e, i) => [e.message_id, i + 1]));
    expect(await numbers(b)).toEqual([[onB[0]!.message_id, 1]]);
    expect(delivered.filter((id) => id === onB[0]!.message_id)).toHaveLength(2);
    delivered.length = 0;
    // Next fetch: partition 1 moved on past offset 5, so a re-send of its message is finished business.
    const next = event(b);
    await together([records([event(b, onB[0]!.message_id), next], 6, 1), ctxOf(1)], [records([event(a)], 502, 0), ctxOf(0)]);
    expect(delivered).not.toContain(onB[0]!.message_id);
    expect(await numbers(b)).toEqual([
      [onB[0]!.message_id, 1],
      [next.message_id, 2],
    ]);
  });
});
