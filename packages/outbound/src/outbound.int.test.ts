import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, Topics, type StoredMessage } from '@hub/domain';
import {
  BatchingProducer,
  connectMongo,
  createKafka,
  createLogger,
  ensureIndexes,
  ensureTopics,
  EventConsumer,
  type ConsumedRecord,
  type MongoHandle,
} from '@hub/platform';
import { eventually } from '../../../test/support/spawn-service';
import { stackEnv } from '../../../test/support/stack-env';
import { deadLetterIndexes, MongoDeadLetterStore } from './adapters/mongo-dead-letter-store';
import { outboundLedgerIndexes, MongoOutboundLedger } from './adapters/mongo-outbound-ledger';
import { RetryScheduler } from './retry-scheduler';
import { deliveryId, laneOf, RetryRecordSchema, type RetryRecord } from './records';
import { replayDeadLetter } from './replay';

const logger = createLogger({ service: 'test', level: 'silent' });

function message(conversation: string, seq: number): StoredMessage {
  return {
    message_id: newId(),
    conversation_id: conversation,
    from: 'alice',
    to: ['bob'],
    channels: ['telegram'],
    payload: { type: 'text', text: `m${seq}` },
    source: 'api',
    accepted_at: new Date().toISOString(),
    submitted_by: 'user:alice',
    sequence_number: seq,
    stored_at: new Date().toISOString(),
  };
}

describe('outbound ledger and dead letters (real MongoDB-compatible server and Kafka)', () => {
  const env = stackEnv();
  let mongo: MongoHandle;
  let ledger: MongoOutboundLedger;
  let deadLetters: MongoDeadLetterStore;
  const prefix = `t-${randomUUID().slice(0, 8)}.`;
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 't-deliveries', logger, namePrefix: prefix });
  const admin = kafka.admin();
  const producer = new BatchingProducer(kafka, logger);

  beforeAll(async () => {
    mongo = await connectMongo({ url: env.MONGO_URL!, database: `t-${randomUUID().slice(0, 8)}` });
    await ensureIndexes(mongo.db, { ...outboundLedgerIndexes, ...deadLetterIndexes });
    ledger = new MongoOutboundLedger(mongo.db);
    deadLetters = new MongoDeadLetterStore(mongo.db);
    await admin.connect();
    await ensureTopics(
      admin,
      [
        { topic: Topics.retry, numPartitions: 1 },
        { topic: Topics.dlq, numPartitions: 1 },
        { topic: Topics.status, numPartitions: 1 },
      ],
      1,
      prefix,
    );
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin
      .deleteTopics({ topics: [`${prefix}${Topics.retry}`, `${prefix}${Topics.dlq}`, `${prefix}${Topics.status}`] })
      .catch(() => {});
    await admin.disconnect();
    await mongo.db.dropDatabase().catch(() => {});
    await mongo.close();
  });

  const schedule = (m: StoredMessage, scheduleId: string, nextAt = new Date()) =>
    ledger.schedule({
      message: m,
      recipient: 'bob',
      channel: 'telegram',
      attempts: 1,
      next_attempt: 2,
      schedule_id: scheduleId,
      next_at: nextAt,
      first_attempt_at: new Date(),
    });

  it('links a lane: routing-path schedules become its tail, queued deliveries point back, and the next one is found when one ends', async () => {
    const conv = randomUUID();
    const [m1, m2, m3] = [message(conv, 1), message(conv, 2), message(conv, 3)];
    const lane = laneOf(conv, 'bob', 'telegram');
    const id = (m: StoredMessage) => deliveryId(m.message_id, 'bob', 'telegram');
    const at = new Date();
    // m1 failed at its first try (head), m2 and m3 queued behind it, each behind the one before.
    await ledger.schedule({
      message: m1,
      recipient: 'bob',
      channel: 'telegram',
      attempts: 1,
      next_attempt: 2,
      schedule_id: 's1',
      next_at: at,
      first_attempt_at: at,
      fresh: true,
    });
    await ledger.schedule({
      message: m2,
      recipient: 'bob',
      channel: 'telegram',
      attempts: 0,
      next_attempt: 1,
      schedule_id: 's2',
      next_at: at,
      first_attempt_at: at,
      fresh: true,
      queued: true,
      prev: id(m1),
    });
    await ledger.schedule({
      message: m3,
      recipient: 'bob',
      channel: 'telegram',
      attempts: 0,
      next_attempt: 1,
      schedule_id: 's3',
      next_at: at,
      first_attempt_at: at,
      fresh: true,
      queued: true,
      prev: id(m2),
    });
    const m9 = message(conv, 9);
    const first = await ledger.startFirstTries([id(m1), id(m9)], [lane, laneOf(conv, 'carol', 'telegram')]);
    expect(first.openTails.get(lane)).toEqual({ delivery_id: id(m3), seq: 3 });
    expect(first.openTails.has(laneOf(conv, 'carol', 'telegram'))).toBe(false);
    // Neither had been marked as tried on the routing path before.
    expect(first.byId.size).toBe(0);
    // A re-run (after a crash) of the same deliveries: recognised, and answered from the ledger.
    const rerun = await ledger.startFirstTries([id(m1), id(m9)], []);
    expect(rerun.byId.get(id(m1))).toMatchObject({ state: 'scheduled', attempts: 1, next_attempt: 2, schedule_id: 's1' });
    expect(rerun.byId.has(id(m9))).toBe(false);
    expect(await ledger.nextAfter(id(m1))).toMatchObject({
      delivery_id: id(m2),
      queued: true,
      prev: id(m1),
      message: { message_id: m2.message_id },
    });

    await ledger.finish([
      { message: m1, recipient: 'bob', channel: 'telegram', first_attempt_at: at, state: 'delivered', attempts: 2, external_id: '41' },
    ]);
    expect(await ledger.isOpen(id(m1))).toBe(false);
    expect(await ledger.isOpen(id(m2))).toBe(true);
    await ledger.finish(
      [m2, m3].map((m) => ({
        message: m,
        recipient: 'bob',
        channel: 'telegram' as const,
        first_attempt_at: at,
        state: 'delivered' as const,
        attempts: 1,
      })),
    );
    // Once the tail ended, the lane has no open delivery: nothing waits.
    expect((await ledger.startFirstTries([], [lane])).openTails.has(lane)).toBe(false);
  });

  it('lets exactly one record act on a schedule, and never reopens an ended delivery', async () => {
    const m = message(randomUUID(), 1);
    const id = deliveryId(m.message_id, 'bob', 'telegram');
    await schedule(m, 'sched-a');
    expect(await ledger.claim(id, 'stale', 1_000)).toBeUndefined();
    const claims = await Promise.all([ledger.claim(id, 'sched-a', 1_000), ledger.claim(id, 'sched-a', 1_000)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(claims.find(Boolean)!.message?.message_id).toBe(m.message_id);
    await ledger.finish([
      {
        message: m,
        recipient: 'bob',
        channel: 'telegram',
        first_attempt_at: new Date(),
        state: 'delivered',
        attempts: 2,
        external_id: '77',
      },
    ]);
    await schedule(m, 'sched-b');
    const after = await ledger.get(id);
    expect(after).toMatchObject({ state: 'delivered', external_id: '77', attempts: 2 });
    expect(after?.message).toBeUndefined();
    expect(await ledger.isOpen(id)).toBe(false);
    expect(await ledger.claim(id, 'sched-b', 1_000)).toBeUndefined();
  });

  it('records many first-try outcomes at once and ignores repeats', async () => {
    const ms = [message(randomUUID(), 1), message(randomUUID(), 1)];
    const rows = ms.map((m) => ({
      message: m,
      recipient: 'bob',
      channel: 'whatsapp' as const,
      first_attempt_at: new Date(),
      state: 'delivered' as const,
      attempts: 1,
      external_id: `x-${m.message_id}`,
    }));
    await ledger.finish(rows);
    await ledger.finish(rows);
    for (const m of ms)
      expect(await ledger.get(deliveryId(m.message_id, 'bob', 'whatsapp'))).toMatchObject({
        state: 'delivered',
        external_id: `x-${m.message_id}`,
      });
  });

  it('finds what a recipient replies to: the delivery with that provider id, else their latest', async () => {
    const [a, b] = [message(randomUUID(), 1), message(randomUUID(), 1)];
    const who = `r-${randomUUID().slice(0, 6)}`;
    await ledger.finish([
      {
        message: a,
        recipient: who,
        channel: 'telegram',
        first_attempt_at: new Date(),
        state: 'delivered',
        attempts: 1,
        external_id: '100',
      },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    await ledger.finish([
      {
        message: b,
        recipient: who,
        channel: 'telegram',
        first_attempt_at: new Date(),
        state: 'delivered',
        attempts: 1,
        external_id: '101',
      },
    ]);
    expect(await ledger.lastDeliveredTo(who, 'telegram')).toEqual({ conversation_id: b.conversation_id, message_id: b.message_id });
    expect((await ledger.lastDeliveredTo(who, 'telegram', '100'))?.conversation_id).toBe(a.conversation_id);
    expect(await ledger.lastDeliveredTo(who, 'telegram', '999')).toBeUndefined();
    expect(await ledger.lastDeliveredTo(who, 'whatsapp')).toBeUndefined();
  });

  it('finds schedules lost in a crash, and lets one sweeper take each', async () => {
    const m = message(randomUUID(), 1);
    const id = deliveryId(m.message_id, 'bob', 'telegram');
    await schedule(m, 'lost', new Date(Date.now() - 120_000));
    const overdue = (await ledger.overdue(new Date(), 60_000, 1_000)).find((e) => e.delivery_id === id);
    expect(overdue).toBeDefined();
    const wins = await Promise.all([1, 2, 3].map((i) => ledger.resweep(id, overdue!.next_at, `sweep-${i}`, new Date())));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect((await ledger.overdue(new Date(), 60_000, 1_000)).some((e) => e.delivery_id === id)).toBe(false);
  });

  it('dead-letters once per generation, lists newest first, and replays each dead letter at most once', async () => {
    const scheduler = new RetryScheduler({ ledger, deadLetters, publisher: producer });
    const conv = randomUUID();
    const m = message(conv, 1);
    const request = {
      message: m,
      recipient: 'bob',
      channel: 'telegram' as const,
      attempts: 1,
      reason: 'chat_not_found',
      lastError: 'telegram error 400: Bad Request: chat not found',
      generation: 0,
      firstAttemptAt: new Date(),
    };
    const first = await scheduler.deadLetter(request);
    const again = await scheduler.deadLetter(request);
    expect(again.id).toBe(first.id);
    const other = await scheduler.deadLetter({ ...request, message: message(randomUUID(), 1), channel: 'whatsapp' });
    const id = deliveryId(m.message_id, 'bob', 'telegram');
    expect(await ledger.get(id)).toMatchObject({ state: 'failed', reason: 'chat_not_found' });

    const listed = await deadLetters.list({ limit: 10, includeReplayed: false });
    expect(listed.map((d) => d.id).slice(0, 2)).toEqual([other.id, first.id]);
    expect((await deadLetters.list({ limit: 1, includeReplayed: false, before: other.id })).map((d) => d.id)).toEqual([first.id]);
    expect((await deadLetters.list({ limit: 10, includeReplayed: false, channel: 'whatsapp' })).map((d) => d.id)).toEqual([other.id]);

    const results = await Promise.all([1, 2, 3].map(() => replayDeadLetter(first.id, 'client:admin', { deadLetters, ledger, scheduler })));
    expect(results.map((r) => r?.outcome).sort()).toEqual(['already_replayed', 'already_replayed', 'replayed']);
    expect(await replayDeadLetter(randomUUID(), 'client:admin', { deadLetters, ledger, scheduler })).toBeUndefined();
    const reopened = await ledger.get(id);
    expect(reopened).toMatchObject({ state: 'scheduled', attempts: 0, next_attempt: 1, generation: 1 });
    expect((await deadLetters.list({ limit: 10, includeReplayed: false })).map((d) => d.id)).not.toContain(first.id);

    // On the topics: two dead letters (the repeat was not published twice? it was: publishing is at-least-once) and exactly one replay record.
    const seen: ConsumedRecord[] = [];
    const consumer = new EventConsumer(kafka, { groupId: `t-${randomUUID()}`, topics: [Topics.retry, Topics.dlq, Topics.status] }, logger);
    await consumer.start(async (records) => {
      seen.push(...records);
    });
    await eventually(
      () =>
        seen.filter((r) => r.topic === Topics.retry).length >= 1 &&
        seen.filter((r) => r.topic === Topics.dlq).length >= 2 &&
        seen.some((r) => r.topic === Topics.status),
      { what: 'retry and dlq records', timeoutMs: 30_000 },
    );
    await new Promise((r) => setTimeout(r, 500));
    await consumer.stop();
    const retries = seen
      .filter((r) => r.topic === Topics.retry)
      .map((r) => RetryRecordSchema.parse(r.envelope!.payload) as unknown as RetryRecord);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ delivery_id: id, attempt: 1, reason: 'replay', schedule_id: reopened!.schedule_id });
    expect(seen.find((r) => r.topic === Topics.retry)!.key).toBe(conv);
    // The replay reopened the failed status, once.
    expect(seen.filter((r) => r.topic === Topics.status).map((r) => r.envelope!.payload)).toEqual([
      expect.objectContaining({ status: 'retrying', reopened: true, recipient: request.recipient, detail: 'replayed by client:admin' }),
    ]);
    const dlqIds = seen.filter((r) => r.topic === Topics.dlq).map((r) => (r.envelope!.payload as { id: string }).id);
    expect(new Set(dlqIds)).toEqual(new Set([first.id, other.id]));
  });
});
