import { randomUUID } from 'node:crypto';
import { type DeadLetter } from '@hub/outbound';
import { MongoDeadLetterStore, MongoOutboundLedger } from '@hub/outbound/adapters';
import { newId, Topics, type ExternalChannel, type Payload, type StatusEvent, type StoredMessage } from '@hub/domain';
import { ChannelMappingsRepository, WatchedIdentityDirectory } from '@hub/identity';
import {
  BatchingProducer,
  connectMongo,
  createKafka,
  createLogger,
  createRedis,
  ensureTopics,
  EtcdStore,
  EventConsumer,
  Registry,
  S3ObjectStore,
  type MongoHandle,
  type Redis,
} from '@hub/platform';
import { FakeTelegramServer } from '../../../test/support/fake-telegram-server';
import { stackEnv } from '../../../test/support/stack-env';
import { createOutbound, type Outbound } from '../src/outbound/outbound';
import { routerOutboundConfigSchema } from '../src/outbound/outbound-config';
import { createRetryWorker } from '../src/retry/retry-worker';
import { RetrySweeper } from '../src/sweep/retry-sweeper';
import type { DeliveryRequest } from '../src/ports/hand-over';

export interface OutboundFixture {
  fake: FakeTelegramServer;
  /** The outbound parts with the `retry` and `sweep` workers on top, started and stopped together. */
  ext: Outbound & { start(): Promise<void>; stop(): Promise<void> };
  mongo: MongoHandle;
  ledger: MongoOutboundLedger;
  deadLetters: MongoDeadLetterStore;
  mappings: ChannelMappingsRepository;
  directory: WatchedIdentityDirectory;
  objects: S3ObjectStore;
  producer: BatchingProducer;
  /** Everything published on hub.status.v1, hub.dlq.v1 and hub.retry.v1 since start. */
  statuses: StatusEvent[];
  deadLetterRecords: DeadLetter[];
  retryRecords: unknown[];
  link(username: string, channel: ExternalChannel, externalId: string): Promise<void>;
  message(conversationId: string, seq: number, payload: Payload, to?: string[]): StoredMessage;
  request(message: StoredMessage, recipient: string, channel: ExternalChannel): DeliveryRequest;
  stop(): Promise<void>;
}

const quiet = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * External delivery of one router, wired as main.ts wires it, on the real
 * stack (Kafka, MongoDB, etcd, Redis, S3) with a fake Telegram Bot API
 * server; every store and topic is private to the fixture.
 */
export async function startOutboundFixture(env: Record<string, string> = {}): Promise<OutboundFixture> {
  const stack = stackEnv();
  const id = randomUUID().slice(0, 8);
  const fake = await FakeTelegramServer.start();
  const prefix = `t-${id}.`;
  const kafka = createKafka({ brokers: stack.KAFKA_BROKERS!.split(','), clientId: `t-ext-${id}`, logger: quiet, namePrefix: prefix });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [Topics.retry, Topics.dlq, Topics.status].map((topic) => ({ topic, numPartitions: 2 })),
    2,
    prefix,
  );
  const producer = new BatchingProducer(kafka, quiet);
  await producer.connect();
  const mongo = await connectMongo({ url: stack.MONGO_URL!, database: `t-${id}` });
  const etcd = new EtcdStore({ hosts: stack.ETCD_HOSTS!.split(','), namespace: `t-${id}/` });
  const redis: Redis = createRedis({ url: stack.REDIS_URL!, keyPrefix: `t-${id}:` });
  const objects = new S3ObjectStore({
    endpoint: stack.S3_ENDPOINT!,
    accessKey: stack.S3_ACCESS_KEY!,
    secretKey: stack.S3_SECRET_KEY!,
    region: stack.S3_REGION ?? 'us-east-1',
    bucket: `t-${id}`,
  });
  await objects.ensureBucket();
  const directory = new WatchedIdentityDirectory(etcd);
  await directory.ready();
  const mappings = new ChannelMappingsRepository(etcd);

  const config = routerOutboundConfigSchema.parse({
    CONNECTORS_ENABLED: 'telegram,whatsapp',
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    MOCK_CONNECTOR_LATENCY_MS: '2-5',
    CONNECTOR_TIMEOUT_MS: '1000',
    CONNECTOR_BREAKER_RESET_MS: '2000',
    CONNECTOR_BREAKER_VOLUME_THRESHOLD: '3',
    OUTBOUND_SWEEP_INTERVAL_MS: '1000',
    OUTBOUND_SWEEP_GRACE_MS: '5000',
    ...env,
  });
  const registry = new Registry();
  const outbound = await createOutbound({
    config,
    publisher: producer,
    db: mongo.db,
    directory,
    logger: quiet,
    registry,
    redis,
    redisKeyPrefix: `t-${id}:`,
    objects,
  });
  const retry = createRetryWorker({ kafka, publisher: producer, outbound, config, logger: quiet, registry });
  const sweep = new RetrySweeper({
    ledger: outbound.ledger,
    scheduler: outbound.scheduler,
    logger: quiet,
    intervalMs: config.OUTBOUND_SWEEP_INTERVAL_MS,
    graceMs: config.OUTBOUND_SWEEP_GRACE_MS,
  });
  const ext = {
    ...outbound,
    start: async () => {
      await retry.start();
      await sweep.start();
    },
    stop: async () => {
      await sweep.stop();
      await retry.stop();
      await outbound.close();
    },
  };

  const statuses: StatusEvent[] = [];
  const deadLetterRecords: DeadLetter[] = [];
  const retryRecords: unknown[] = [];
  const observer = new EventConsumer(kafka, { groupId: `observer-${id}`, topics: [Topics.status, Topics.dlq, Topics.retry] }, quiet);
  await observer.start(async (records) => {
    for (const r of records) {
      if (r.topic === Topics.status) statuses.push(r.envelope!.payload as StatusEvent);
      else if (r.topic === Topics.dlq) deadLetterRecords.push(r.envelope!.payload as DeadLetter);
      else retryRecords.push(r.envelope!.payload);
    }
  });
  await ext.start();

  return {
    fake,
    ext,
    mongo,
    ledger: new MongoOutboundLedger(mongo.db),
    deadLetters: new MongoDeadLetterStore(mongo.db),
    mappings,
    directory,
    objects,
    producer,
    statuses,
    deadLetterRecords,
    retryRecords,
    link: async (username, channel, externalId) => {
      const res = await mappings.link(username, channel, externalId);
      if (!res.ok) throw new Error(`link failed: ${res.conflict}`);
      // The router reads mappings from its watched cache.
      const deadline = Date.now() + 5_000;
      while (directory.getMapping(username, channel)?.external_id !== externalId) {
        if (Date.now() > deadline) throw new Error('mapping did not reach the directory cache');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    message: (conversationId, seq, payload, to = ['bob']) => ({
      message_id: newId(),
      conversation_id: conversationId,
      from: 'alice',
      to,
      channels: ['telegram'],
      payload,
      source: 'api',
      accepted_at: new Date().toISOString(),
      submitted_by: 'user:alice',
      sequence_number: seq,
      stored_at: new Date().toISOString(),
    }),
    request: (message, recipient, channel) => ({ message, recipient, channel }),
    stop: async () => {
      await ext.stop();
      await observer.stop();
      await producer.disconnect();
      await directory.stop();
      await admin.deleteTopics({ topics: [Topics.retry, Topics.dlq, Topics.status].map((t) => prefix + t) }).catch(() => {});
      await admin.disconnect();
      await mongo.db.dropDatabase().catch(() => {});
      await mongo.close();
      // Rate-limit keys expire within seconds by themselves.
      redis.disconnect();
      for (const key of await objects.list('').catch(() => [])) await objects.remove(key).catch(() => {});
      etcd.close();
      await fake.close();
    },
  };
}
