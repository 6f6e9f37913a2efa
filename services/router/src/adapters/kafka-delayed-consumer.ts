import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { decodeRecord, groupConsumer, kafkaNamePrefix, type ConsumedRecord, type Logger } from '@hub/platform';
import type { DelayedHandler, DelayedTopicConsumer } from '../ports/delayed-consumer';
import { OffsetProgress } from './partition-progress';

export interface KafkaDelayedConsumerOptions {
  groupId: string;
  topic: string;
  /** Stop fetching when this many records wait in memory; resume below half of it. */
  maxHeld: number;
  /** Delay before a record whose handler threw is tried again. */
  handlerRetryMs?: number;
  commitIntervalMs?: number;
}

interface Held {
  record: ConsumedRecord;
  partition: number;
  offset: number;
  generation: number;
  timer?: NodeJS.Timeout;
}

/**
 * Adapter: DelayedTopicConsumer on a KafkaJS consumer with manual commits.
 *
 * Every fetched record is resolved at once (that only moves the fetch
 * position) and held in memory with a timer for its due time; commits are
 * made explicitly, up to each partition's oldest unhandled record. A
 * rebalance makes KafkaJS fetch again from the committed offsets, so
 * everything held is dropped then and read again; handlers running at that
 * moment finish, but their completion no longer counts.
 */
export class KafkaDelayedConsumer implements DelayedTopicConsumer {
  private readonly consumer: Consumer;
  private readonly prefix: string;
  private readonly progress = new OffsetProgress();
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly heldItems = new Set<Held>();
  private paused = false;
  private running = false;
  private commitTimer?: NodeJS.Timeout;
  private handler?: DelayedHandler;

  constructor(
    kafka: Kafka,
    private readonly opts: KafkaDelayedConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.prefix = kafkaNamePrefix(kafka);
    this.consumer = groupConsumer(kafka, opts.groupId);
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => this.resetAfterRebalance());
  }

  held(): number {
    return this.heldItems.size;
  }

  async start(handler: DelayedHandler): Promise<void> {
    this.handler = handler;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.prefix + this.opts.topic], fromBeginning: true });
    this.running = true;
    this.commitTimer = setInterval(() => void this.commit(), this.opts.commitIntervalMs ?? 250);
    this.commitTimer.unref();
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        for (const m of batch.messages) {
          if (isStale()) return;
          this.hold(batch.partition, m);
          resolveOffset(m.offset);
        }
        await heartbeat();
        if (!this.paused && this.heldItems.size >= this.opts.maxHeld) {
          this.paused = true;
          this.consumer.pause([{ topic: this.prefix + this.opts.topic }]);
          this.logger.warn({ held: this.heldItems.size }, 'retry queue full; fetching paused');
        }
      },
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.commitTimer);
    for (const item of this.heldItems) clearTimeout(item.timer);
    // Let handlers already running finish so their results are committed.
    await Promise.race([Promise.allSettled([...this.lanes.values()]), new Promise((r) => setTimeout(r, 5_000))]);
    await this.commit();
    await this.consumer.disconnect();
    this.heldItems.clear();
    this.logger.info({ group: this.opts.groupId }, 'delayed consumer stopped');
  }

  private hold(partition: number, m: KafkaMessage): void {
    const record = decodeRecord(this.opts.topic, partition, m);
    const offset = Number(m.offset);
    const generation = this.progress.read(partition, offset);
    const item: Held = { record, partition, offset, generation };
    this.heldItems.add(item);
    this.arm(item, this.handler!.dueAt(record));
  }

  private arm(item: Held, dueAt: number): void {
    item.timer = setTimeout(() => this.enqueue(item), Math.max(0, dueAt - Date.now()));
  }

  private enqueue(item: Held): void {
    if (item.generation !== this.progress.generation || !this.running) return;
    const lane = safeLane(this.handler!, item.record);
    const previous = this.lanes.get(lane) ?? Promise.resolve();
    const run = previous.then(() => this.run(item));
    this.lanes.set(lane, run);
    void run.finally(() => {
      if (this.lanes.get(lane) === run) this.lanes.delete(lane);
    });
  }

  private async run(item: Held): Promise<void> {
    if (item.generation !== this.progress.generation || !this.running) return;
    try {
      await this.handler!.handle(item.record);
    } catch (err) {
      this.logger.warn(
        { err: { message: (err as Error).message }, partition: item.partition, offset: item.offset },
        'retry record handler failed; trying it again shortly',
      );
      if (this.running) this.arm(item, Date.now() + (this.opts.handlerRetryMs ?? 1_000));
      return;
    }
    this.heldItems.delete(item);
    if (item.generation !== this.progress.generation) return;
    this.progress.handled(item.partition, item.offset, item.generation);
    if (this.paused && this.heldItems.size < this.opts.maxHeld / 2) {
      this.paused = false;
      this.consumer.resume([{ topic: this.prefix + this.opts.topic }]);
    }
  }

  private async commit(): Promise<void> {
    const commits = this.progress.toCommit();
    if (commits.length === 0) return;
    try {
      await this.consumer.commitOffsets(
        commits.map((c) => ({ topic: this.prefix + this.opts.topic, partition: c.partition, offset: String(c.offset) })),
      );
      this.progress.committed(commits);
    } catch (err) {
      // A rebalance in progress: the new assignment starts from the last successful commit.
      this.logger.debug({ err: { message: (err as Error).message } }, 'retry offsets not committed');
    }
  }

  private resetAfterRebalance(): void {
    this.progress.reset();
    for (const item of this.heldItems) clearTimeout(item.timer);
    this.heldItems.clear();
    if (this.paused) {
      this.paused = false;
      this.consumer.resume([{ topic: this.prefix + this.opts.topic }]);
    }
  }
}

function safeLane(handler: DelayedHandler, record: ConsumedRecord): string {
  try {
    return handler.lane(record);
  } catch {
    return `partition-${record.partition}`;
  }
}
