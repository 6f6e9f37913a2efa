import { Kafka, logLevel, type LogEntry, type Admin, type ITopicConfig } from 'kafkajs';
import type { KafkaSecurity } from './kafka-security';
import type { Logger } from 'pino';
import type { HealthCheck } from '../health';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Per-request timeout; kept short so an unreachable broker turns into 503 quickly. */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /**
   * Prepended to every topic and consumer-group name this client uses, so
   * several hubs (or parallel test runs) can share one cluster. Domain code
   * keeps using the contract names (`hub.messages.v1`); the adapters here
   * add and strip the prefix.
   */
  namePrefix?: string;
  /** TLS and SASL (kafka-security.ts); unset: plaintext. */
  security?: KafkaSecurity;
}

const prefixes = new WeakMap<Kafka, string>();

/** The name prefix a client was created with ('' when none). */
export function kafkaNamePrefix(kafka: Kafka): string {
  return prefixes.get(kafka) ?? '';
}

/** One Kafka client per process; producers, consumers and the admin all come from it. */
export function createKafka(s: KafkaSettings): Kafka {
  const log = s.logger.child({ component: 'kafkajs' });
  const kafka = new Kafka({
    clientId: s.clientId,
    brokers: s.brokers,
    ...(s.security?.ssl ? { ssl: s.security.ssl } : {}),
    ...(s.security?.sasl ? { sasl: s.security.sasl } : {}),
    requestTimeout: s.requestTimeoutMs ?? 10_000,
    connectionTimeout: s.connectionTimeoutMs ?? 3_000,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const fields = { ...rest, timestamp: undefined };
        if (level <= logLevel.ERROR) log.error(fields, message);
        else if (level === logLevel.WARN) log.warn(fields, message);
        else log.debug(fields, message);
      },
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  prefixes.set(kafka, s.namePrefix ?? '');
  return kafka;
}

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  configEntries?: ITopicConfig['configEntries'];
}

/** Creates the topics that do not exist yet; safe to call from every process at start. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], defaultPartitions = 6, namePrefix = ''): Promise<void> {
  // Creating topics races with other processes doing the same and with the
  // controller propagating metadata ("does not host this topic-partition"
  // right after creation): converge by re-listing and retrying a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.map((s) => ({ ...s, topic: namePrefix + s.topic })).filter((s) => !existing.has(s.topic));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.numPartitions ?? defaultPartitions,
            replicationFactor: -1,
            configEntries: s.configEntries,
          })),
        });
      }
      await admin.fetchTopicMetadata({ topics: specs.map((s) => namePrefix + s.topic) });
      return;
    } catch (err) {
      const message = String((err as Error).message);
      const retriable =
        /already exists|does not host|not available|leader|coordinator|ECONNREFUSED|timed? ?out/i.test(message) ||
        (err as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= 6) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/** Ready when the cluster answers a metadata request through a connected admin client. */
export function kafkaHealthCheck(admin: Admin): HealthCheck {
  return {
    name: 'kafka',
    check: async () => {
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no brokers in cluster metadata');
    },
  };
}
