import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { EtcdStore } from './etcd/etcd-store';
import type { HealthCheck } from './health';
import type { etcdConfigSchema, kafkaConfigSchema, mongoConfigSchema, redisConfigSchema, s3ConfigSchema } from './infra-config';
import { BatchingProducer } from './kafka/batching-producer';
import { createKafka, ensureTopics, kafkaHealthCheck, type TopicSpec } from './kafka/kafka';
import { describeKafkaSecurity, kafkaSecurity } from './kafka/kafka-security';
import { connectMongo, mongoHealthCheck, type MongoHandle } from './mongo/mongo';
import { createRedis, redisHealthCheck, type Redis } from './redis/redis';
import { S3ObjectStore } from './s3/s3-object-store';

export interface InfraNeeds {
  kafka?: { config: z.infer<typeof kafkaConfigSchema>; topics: TopicSpec[]; producer: boolean };
  mongo?: z.infer<typeof mongoConfigSchema>;
  etcd?: z.infer<typeof etcdConfigSchema>;
  redis?: z.infer<typeof redisConfigSchema>;
  s3?: z.infer<typeof s3ConfigSchema>;
}

/** Every client connectInfra can connect. */
export interface InfraClients {
  kafka: Kafka;
  kafkaAdmin: Admin;
  producer: BatchingProducer;
  mongo: MongoHandle;
  etcd: EtcdStore;
  redis: Redis;
  /** A second connection for SUBSCRIBE, which blocks a connection for anything else. */
  redisSub: Redis;
  s3: S3ObjectStore;
}

interface InfraBase {
  checks: HealthCheck[];
  close(): Promise<void>;
}

/** Some clients, all present: what a composition function asks for (e.g. `InfraWith<'mongo' | 'producer'>`). */
export type InfraWith<K extends keyof InfraClients> = Pick<InfraClients, K> & { checks: HealthCheck[] };

/** Present when the need is always there, optional when the need is, absent (`unknown` adds nothing) when it is not named. */
type Part<N, K extends keyof InfraNeeds, V> = K extends keyof N ? (Pick<N, K> extends Required<Pick<N, K>> ? V : Partial<V>) : unknown;
/** `producer: true` always gives a producer; a producer decided at run time (`boolean`) is optional. */
type ProducerPart<N> = N extends { kafka: { producer: true } }
  ? Pick<InfraClients, 'producer'>
  : N extends { kafka?: { producer: false } }
    ? unknown
    : N extends { kafka?: object }
      ? Partial<Pick<InfraClients, 'producer'>>
      : unknown;

/**
 * The connected clients of one process, built once at boot by main.ts:
 * exactly the clients its needs name, so a service gets non-optional
 * adapters for what it always needs. `Infra` alone has every client optional.
 */
export type Infra<N extends InfraNeeds = InfraNeeds> = InfraBase &
  Part<N, 'kafka', Pick<InfraClients, 'kafka' | 'kafkaAdmin'>> &
  ProducerPart<N> &
  Part<N, 'mongo', Pick<InfraClients, 'mongo'>> &
  Part<N, 'etcd', Pick<InfraClients, 'etcd'>> &
  Part<N, 'redis', Pick<InfraClients, 'redis' | 'redisSub'>> &
  Part<N, 's3', Pick<InfraClients, 's3'>>;

/**
 * A client that the needs name only under a condition (the router's workers
 * choose theirs), for code that runs only under the same condition: fails
 * with a message naming the client instead of a non-null assertion.
 */
export function connected<T>(client: T | undefined, name: string): T {
  if (client === undefined) throw new Error(`${name} is not connected: no part of this process asked for it (InfraNeeds)`);
  return client;
}

/**
 * Connects what a service needs, failing start-up with a message naming
 * the system that did not answer. Closing is best-effort per client so one
 * stuck client does not keep the others open.
 */
export async function connectInfra<const N extends InfraNeeds>(needs: N, service: string, logger: Logger): Promise<Infra<N>> {
  const infra: InfraBase & Partial<InfraClients> = { checks: [], close: async () => {} };
  const closers: Array<[string, () => Promise<void> | void]> = [];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      await closeAll();
      throw new Error(`${service}: could not connect to ${name}: ${(err as Error).message}. Is it running? (npm run stack:status)`, {
        cause: err,
      });
    }
  };
  const closeAll = async () => {
    for (const [name, close] of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message }, client: name }, 'closing client failed');
      }
    }
    closers.length = 0;
  };

  if (needs.kafka) {
    const k = needs.kafka;
    const security = kafkaSecurity(k.config);
    if (security.ssl || security.sasl) logger.info({ kafka: describeKafkaSecurity(k.config) }, 'kafka connection security');
    infra.kafka = createKafka({
      brokers: k.config.KAFKA_BROKERS,
      clientId: `${k.config.KAFKA_CLIENT_ID}-${service}`,
      logger,
      namePrefix: k.config.KAFKA_NAME_PREFIX,
      security,
    });
    const admin = infra.kafka.admin();
    infra.kafkaAdmin = admin;
    await step('kafka', async () => {
      await admin.connect();
      await ensureTopics(admin, k.topics, k.config.KAFKA_TOPIC_PARTITIONS, k.config.KAFKA_NAME_PREFIX);
    });
    closers.push(['kafka-admin', () => admin.disconnect()]);
    infra.checks.push(kafkaHealthCheck(admin));
    if (k.producer) {
      const producer = new BatchingProducer(infra.kafka, logger, {
        sendTimeoutMs: k.config.KAFKA_SEND_TIMEOUT_MS,
        lingerMs: k.config.KAFKA_PRODUCER_LINGER_MS,
      });
      infra.producer = producer;
      await step('kafka producer', () => producer.connect());
      closers.push(['kafka-producer', () => producer.disconnect()]);
    }
  }
  if (needs.mongo) {
    const m = needs.mongo;
    const handle = await step('mongodb', () =>
      connectMongo({ url: m.MONGO_URL, database: m.MONGO_DB, writeConcern: m.MONGO_WRITE_CONCERN }),
    );
    infra.mongo = handle;
    closers.push(['mongodb', () => handle.close()]);
    infra.checks.push(mongoHealthCheck(handle.db));
  }
  if (needs.etcd) {
    const store = new EtcdStore({ hosts: needs.etcd.ETCD_HOSTS, namespace: needs.etcd.ETCD_NAMESPACE });
    infra.etcd = store;
    closers.push(['etcd', () => store.close()]);
    const check = store.healthCheck();
    await step('etcd', () => check.check());
    infra.checks.push(check);
  }
  if (needs.redis) {
    const r = needs.redis;
    const redis = createRedis({ url: r.REDIS_URL, keyPrefix: r.REDIS_KEY_PREFIX });
    // Subscriber connection (Infra.redisSub): SUBSCRIBE only, no batching to gain.
    const sub = createRedis({ url: r.REDIS_URL, autoPipelining: false });
    infra.redis = redis;
    infra.redisSub = sub;
    // Without a listener ioredis prints every reconnect failure to stderr;
    // log the first of a run instead, readiness reports the outage.
    for (const [name, conn] of [
      ['redis', redis],
      ['redis-sub', sub],
    ] as const) {
      let failing = false;
      conn.on('error', (err: Error) => {
        if (!failing) logger.warn({ err: { message: err.message }, client: name }, 'redis connection error');
        failing = true;
      });
      conn.on('ready', () => {
        if (failing) logger.info({ client: name }, 'redis connection restored');
        failing = false;
      });
    }
    closers.push(['redis', () => void redis.disconnect()]);
    closers.push(['redis-sub', () => void sub.disconnect()]);
    const check = redisHealthCheck(redis);
    await step('redis', () => check.check());
    infra.checks.push(check);
  }
  if (needs.s3) {
    const s = needs.s3;
    const store = new S3ObjectStore({
      endpoint: s.S3_ENDPOINT,
      accessKey: s.S3_ACCESS_KEY,
      secretKey: s.S3_SECRET_KEY,
      region: s.S3_REGION,
      bucket: s.S3_BUCKET,
      publicEndpoint: s.S3_PUBLIC_ENDPOINT,
    });
    infra.s3 = store;
    await step('s3', () => store.ensureBucket());
    infra.checks.push(store.healthCheck());
  }
  infra.close = closeAll;
  // Each client above is set exactly when its need is named, which is what Infra<N> says.
  return infra as Infra<N>;
}
