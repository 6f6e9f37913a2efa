import type { Consumer, ConsumerConfig, Kafka, KafkaMessage } from 'kafkajs';
import type { Context } from '@opentelemetry/api';
import { parseEnvelope, type Envelope } from '@hub/domain';
import type { Logger } from 'pino';
import { kafkaNamePrefix } from './kafka';
import { contextFromHeaders, headerString } from './trace-headers';

/** One record as a worker sees it: the decoded envelope, or why it could not be decoded (poison). */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: number;
  headers: Record<string, string>;
  traceContext: Context;
  envelope?: Envelope;
  poison?: { reason: string; raw: string };
}

export interface BatchContext {
  topic: string;
  partition: number;
  /** Consumers should stop early when this turns false (rebalance or shutdown). */
  isRunning(): boolean;
  heartbeat(): Promise<void>;
  /** The partition's high watermark when the batch was fetched (offset of the next record to be written), for lag metrics. */
  highWatermark: string;
}

/**
 * A batch handler. It must finish the whole batch (or throw to have it
 * redelivered); offsets are committed only after it resolves, so the
 * handler must be idempotent.
 */
export type BatchHandler = (records: ConsumedRecord[], ctx: BatchContext) => Promise<void>;

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Partitions processed concurrently by this consumer (order within a partition always holds). */
  partitionsConsumedConcurrently?: number;
  maxBytesPerPartition?: number;
}

/**
 * A KafkaJS consumer in group `groupId` (under the client's name prefix)
 * with the hub's defaults: a member is dropped after 10 s without a
 * heartbeat, heartbeats every second, fetches answer as soon as anything
 * is there (idle polls every 50 ms), broker errors are retried with backoff.
 */
export function groupConsumer(kafka: Kafka, groupId: string, overrides: Partial<ConsumerConfig> = {}): Consumer {
  return kafka.consumer({
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 10_000,
    maxBytesPerPartition: 1_048_576,
    maxWaitTimeInMs: 50,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
    ...overrides,
    groupId: kafkaNamePrefix(kafka) + groupId,
  });
}

/**
 * Consumer-group worker with a run/stop lifecycle. Processes each partition
 * in order, a batch at a time, and commits a batch's offsets after its
 * handler resolved: at-least-once delivery to an idempotent handler.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private running = false;
  private readonly prefix: string;

  constructor(
    kafka: Kafka,
    private readonly opts: EventConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.prefix = kafkaNamePrefix(kafka);
    this.consumer = groupConsumer(kafka, opts.groupId, {
      ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeout: opts.sessionTimeoutMs } : {}),
      ...(opts.heartbeatIntervalMs !== undefined ? { heartbeatInterval: opts.heartbeatIntervalMs } : {}),
      ...(opts.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: opts.maxBytesPerPartition } : {}),
    });
  }

  get kafkaConsumer(): Consumer {
    return this.consumer;
  }

  async start(handler: BatchHandler): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.opts.topics.map((t) => this.prefix + t), fromBeginning: this.opts.fromBeginning ?? true });
    this.running = true;
    await this.consumer.run({
      // autoCommit with manual resolve: only offsets resolved after the
      // handler succeeded are committed (after each batch and on leave).
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
        if (batch.messages.length === 0) return;
        // Handlers see contract topic names; the prefix is this adapter's concern.
        const topic = batch.topic.startsWith(this.prefix) ? batch.topic.slice(this.prefix.length) : batch.topic;
        const records = batch.messages.map((m) => decodeRecord(topic, batch.partition, m));
        await handler(records, {
          topic,
          partition: batch.partition,
          isRunning: () => isRunning() && !isStale(),
          heartbeat,
          highWatermark: batch.highWatermark,
        });
        // Stale after a rebalance: the partition's new owner re-reads it from the last commit.
        if (isStale()) return;
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // disconnect() waits for the running batch, commits and leaves the group so partitions move at once.
    await this.consumer.disconnect();
    this.logger.info({ group: this.opts.groupId }, 'consumer stopped');
  }
}

/** A fetched Kafka message as a ConsumedRecord: its envelope, or why it is poison (never throws). */
export function decodeRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const k of Object.keys(m.headers ?? {})) {
    const v = headerString(m.headers, k);
    if (v !== undefined) headers[k] = v;
  }
  const base = {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString() : null,
    timestamp: Number(m.timestamp),
    headers,
    traceContext: contextFromHeaders(m.headers),
  };
  try {
    return { ...base, envelope: parseEnvelope(m.value) };
  } catch (err) {
    return { ...base, poison: { reason: (err as Error).message, raw: m.value ? m.value.toString('utf8').slice(0, 4096) : '' } };
  }
}
