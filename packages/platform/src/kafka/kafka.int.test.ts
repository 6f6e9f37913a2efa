import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope } from '@hub/domain';
import { stackEnv } from '../../../../test/support/stack-env';
import { eventually } from '../../../../test/support/spawn-service';
import { createLogger } from '../logger';
import { BatchingProducer } from './batching-producer';
import { EventConsumer, type ConsumedRecord } from './event-consumer';
import { createKafka, ensureTopics } from './kafka';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('kafka client module (real broker)', () => {
  const env = stackEnv();
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 't-kafka', logger });
  const admin = kafka.admin();
  const topic = `t-${randomUUID()}`;
  const producer = new BatchingProducer(kafka, logger);

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, numPartitions: 2 }]);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('keeps per-conversation order through one consumer group, and a second member takes over when the first leaves', async () => {
    const conversations = ['c-a', 'c-b', 'c-c', 'c-d'];
    // Concurrent publishes exercise the coalescing path (several records per sendBatch).
    await Promise.all(
      conversations.flatMap((conv) =>
        Array.from({ length: 25 }, (_, i) => producer.publish({ topic, key: conv, envelope: makeEnvelope('test.event', { conv, n: i }) })),
      ),
    );
    // Sequential publishes per conversation fix the expected order.
    for (let i = 25; i < 50; i++) {
      for (const conv of conversations) await producer.publish({ topic, key: conv, envelope: makeEnvelope('test.event', { conv, n: i }) });
    }

    const groupId = `t-group-${randomUUID()}`;
    const seenByFirst: ConsumedRecord[] = [];
    const first = new EventConsumer(kafka, { groupId, topics: [topic] }, logger);
    await first.start(async (records) => {
      seenByFirst.push(...records);
    });
    await eventually(() => seenByFirst.length >= 200, { what: 'first consumer to read 200 records', timeoutMs: 30_000 });
    expect(seenByFirst.every((r) => r.envelope?.type === 'test.event')).toBe(true);
    // Records of one key sit on one partition, in send order for the sequential part.
    for (const conv of conversations) {
      const mine = seenByFirst.filter((r) => r.key === conv);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      const tail = mine.map((r) => (r.envelope!.payload as { n: number }).n).filter((n) => n >= 25);
      expect(tail).toEqual(Array.from({ length: 25 }, (_, i) => i + 25));
    }

    // A second member joins; then the first leaves: the second owns both partitions and continues after the committed offsets.
    const seenBySecond: ConsumedRecord[] = [];
    const second = new EventConsumer(kafka, { groupId, topics: [topic] }, logger);
    await second.start(async (records) => {
      seenBySecond.push(...records);
    });
    await first.stop();
    await producer.publishMany(conversations.map((conv) => ({ topic, key: conv, envelope: makeEnvelope('test.event', { conv, n: 50 }) })));
    await eventually(() => seenBySecond.length >= 4, { what: 'second consumer to take over', timeoutMs: 40_000 });
    await second.stop();
    expect(seenBySecond.map((r) => (r.envelope!.payload as { n: number }).n)).toEqual([50, 50, 50, 50]);
    expect(new Set(seenBySecond.map((r) => r.partition)).size).toBe(2);
  });

  it("lingers: a record published within the linger window shares the first one's sendBatch; without linger each leaves at once", async () => {
    const lingering = new BatchingProducer(kafka, logger, { lingerMs: 1_000 });
    const eager = new BatchingProducer(kafka, logger, { lingerMs: 0 });
    await Promise.all([lingering.connect(), eager.connect()]);
    try {
      for (const p of [lingering, eager]) {
        const first = p.publish({ topic, key: 'c-linger', envelope: makeEnvelope('test.linger', { n: 1 }) });
        await new Promise((r) => setTimeout(r, 50));
        const second = p.publish({ topic, key: 'c-linger', envelope: makeEnvelope('test.linger', { n: 2 }) });
        await Promise.all([first, second]);
      }
      expect(lingering.stats.batches).toBe(1);
      expect(eager.stats.batches).toBe(2);
    } finally {
      await Promise.all([lingering.disconnect(), eager.disconnect()]);
    }
  });

  it('hands undecodable records to the handler as poison instead of failing the batch', async () => {
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 'p', value: 'not json {' }] });
    await raw.disconnect();
    const got: ConsumedRecord[] = [];
    const c = new EventConsumer(kafka, { groupId: `t-poison-${randomUUID()}`, topics: [topic] }, logger);
    await c.start(async (records) => {
      got.push(...records.filter((r) => r.key === 'p'));
    });
    await eventually(() => got.length >= 1, { what: 'poison record', timeoutMs: 30_000 });
    await c.stop();
    expect(got[0]!.envelope).toBeUndefined();
    expect(got[0]!.poison?.reason).toMatch(/not JSON/);
  });

  it('a name prefix isolates topics and groups while handlers see contract names', async () => {
    const prefix = `t-${randomUUID().slice(0, 8)}.`;
    const prefixed = createKafka({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 't-prefixed', logger, namePrefix: prefix });
    await ensureTopics(admin, [{ topic: 'hub.messages.v1', numPartitions: 1 }], 1, prefix);
    expect(await admin.listTopics()).toContain(`${prefix}hub.messages.v1`);
    const p = new BatchingProducer(prefixed, logger);
    await p.connect();
    await p.publish({ topic: 'hub.messages.v1', key: 'k', envelope: makeEnvelope('test.event', { n: 1 }) });
    await p.disconnect();
    const got: ConsumedRecord[] = [];
    const c = new EventConsumer(prefixed, { groupId: 'router', topics: ['hub.messages.v1'] }, logger);
    await c.start(async (records) => {
      got.push(...records);
    });
    await eventually(() => got.length >= 1, { what: 'prefixed record', timeoutMs: 30_000 });
    await c.stop();
    expect(got[0]!.topic).toBe('hub.messages.v1');
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groups).toContain(`${prefix}router`);
    await admin.deleteTopics({ topics: [`${prefix}hub.messages.v1`] }).catch(() => {});
  });
});
