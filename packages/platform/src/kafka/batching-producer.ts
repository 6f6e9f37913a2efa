import { CompressionTypes, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { PublishUnavailableError, type EventPublisher, type OutgoingEvent } from './event-publisher';
import { kafkaNamePrefix } from './kafka';
import { context, trace, type Span } from '@opentelemetry/api';
import { failSpan, SpanAttr, startSendSpan } from '../telemetry/spans';
import { traceHeaders } from './trace-headers';

/** Records that make a sendBatch worth its fixed per-call cost: no lingering from here on (figures: docs/performance.md, "Kafka producer linger"). */
const LINGER_UNTIL_RECORDS = 16;

interface Pending {
  events: OutgoingEvent[];
  /** One `send {topic}` span per record, ended when the broker answers. */
  spans: Span[];
  enqueuedAt: number;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface BatchingProducerOptions {
  /** Give up and report unavailable after this long (the caller answers 503). */
  sendTimeoutMs?: number;
  /** Upper bound of records per sendBatch call. */
  maxBatchRecords?: number;
  /** How long the first record of a batch may wait for others to join it (0: leave at once). */
  lingerMs?: number;
}

/**
 * Adapter: EventPublisher on a KafkaJS idempotent producer (acks=all).
 *
 * KafkaJS has no linger setting, and one awaited send per request caps out
 * near the broker round trip. So concurrent publishes are coalesced:
 * publishes that arrive while a batch is in flight wait for it and then
 * leave together in the next sendBatch, and a small batch may wait up to
 * `lingerMs` for company (a lone publish is delayed by at most that). One
 * batch in flight at a time keeps per-key order and the idempotent sequence
 * intact.
 */
export class BatchingProducer implements EventPublisher {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private inFlight = false;
  private connected = false;
  private readonly sendTimeoutMs: number;
  private readonly maxBatchRecords: number;
  private readonly lingerMs: number;
  private queuedRecords = 0;
  /** Set while the flush loop lingers: ends the wait early once the batch is worth sending. */
  private endLinger?: () => void;
  private readonly prefix: string;
  /** sendBatch calls made so far. */
  readonly stats = { batches: 0 };

  constructor(
    kafka: Kafka,
    private readonly logger: Logger,
    opts: BatchingProducerOptions = {},
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5_000;
    this.maxBatchRecords = opts.maxBatchRecords ?? 2_000;
    this.lingerMs = opts.lingerMs ?? 0;
    this.prefix = kafkaNamePrefix(kafka);
    this.producer.on('producer.disconnect', () => {
      this.connected = false;
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    // Let queued publishes finish before closing: callers were promised an answer.
    while (this.inFlight || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.producer.disconnect();
    this.connected = false;
  }

  publish(event: OutgoingEvent): Promise<void> {
    return this.publishMany([event]);
  }

  publishMany(events: OutgoingEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    // Each record's headers carry its own `send` span (W3C traceparent):
    // records coalesced into one sendBatch keep the traces they belong to.
    const spans: Span[] = [];
    const withTrace = events.map((e) => {
      const span = startSendSpan(
        e.topic,
        { [SpanAttr.kafkaKey]: e.key, ...(e.messageId ? { [SpanAttr.messageId]: e.messageId } : {}) },
        e.traceContext,
      );
      spans.push(span);
      const { traceContext, messageId: _m, ...rest } = e;
      return { ...rest, headers: { ...traceHeaders(trace.setSpan(traceContext ?? context.active(), span)), ...(e.headers ?? {}) } };
    });
    return new Promise<void>((resolve, reject) => {
      // The deadline runs from enqueue, so a caller never waits longer than
      // sendTimeoutMs even when it queued behind a stuck batch.
      const pending: Pending = {
        events: withTrace,
        spans,
        enqueuedAt: performance.now(),
        settled: false,
        resolve: () => {
          if (pending.settled) return;
          pending.settled = true;
          clearTimeout(pending.timer);
          for (const span of pending.spans) span.end();
          resolve();
        },
        reject: (err) => {
          if (pending.settled) return;
          pending.settled = true;
          clearTimeout(pending.timer);
          for (const span of pending.spans) failSpan(span, err);
          reject(err);
        },
        timer: setTimeout(
          () => pending.reject(new PublishUnavailableError(`event log did not acknowledge within ${this.sendTimeoutMs} ms`)),
          this.sendTimeoutMs,
        ),
      };
      this.queue.push(pending);
      this.queuedRecords += withTrace.length;
      // Not awaited: flush settles each caller's own promise (resolve or reject) and never rejects itself.
      if (!this.inFlight) void this.flush();
      else if (this.queuedRecords >= LINGER_UNTIL_RECORDS) this.endLinger?.();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    try {
      while (this.queue.length > 0) {
        // Linger: a small batch's first record waits up to lingerMs for
        // others; fewer, fuller sendBatch calls cost the client and the broker
        // far less CPU per record. A batch that is already worth a call leaves
        // at once: under load, waiting would only slow callers who each wait
        // for their answer (docs/performance.md, "Kafka producer linger").
        const waitMs = this.lingerMs - (performance.now() - this.queue[0]!.enqueuedAt);
        if (waitMs > 0 && this.queuedRecords < LINGER_UNTIL_RECORDS) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => this.endLinger?.(), waitMs);
            this.endLinger = () => {
              this.endLinger = undefined;
              clearTimeout(timer);
              resolve();
            };
          });
          continue;
        }
        const batch: Pending[] = [];
        let records = 0;
        while (this.queue.length > 0 && (records === 0 || records + this.queue[0]!.events.length <= this.maxBatchRecords)) {
          const next = this.queue.shift()!;
          this.queuedRecords -= next.events.length;
          // Callers already told "unavailable" are not written behind their back.
          if (next.settled) continue;
          batch.push(next);
          records += next.events.length;
        }
        if (batch.length === 0) continue;
        try {
          if (!this.connected) await this.connect();
          this.stats.batches++;
          // Awaited to the end, even past callers' deadlines, so that only one
          // batch is ever in flight (per-key order, idempotent sequences).
          await this.producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: groupByTopic(batch, this.prefix) });
          for (const p of batch) p.resolve();
        } catch (err) {
          this.logger.warn({ err: { message: (err as Error).message }, records }, 'kafka publish failed');
          const failure = new PublishUnavailableError(`event log unavailable: ${(err as Error).message}`, { cause: err });
          for (const p of batch) p.reject(failure);
        }
      }
    } finally {
      this.inFlight = false;
    }
  }
}

function groupByTopic(batch: Pending[], prefix: string): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const p of batch) {
    for (const e of p.events) {
      let tm = byTopic.get(e.topic);
      if (!tm) {
        tm = { topic: prefix + e.topic, messages: [] };
        byTopic.set(e.topic, tm);
      }
      tm.messages.push({ key: e.key, value: JSON.stringify(e.envelope), headers: e.headers });
    }
  }
  return [...byTopic.values()];
}
