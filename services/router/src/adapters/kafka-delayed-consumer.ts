import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { decodeRecord, groupConsumer, kafkaNamePrefix, type ConsumedRecord, type Logger } from '@hub/platform';
import type { DelayedHandler, DelayedTopicConsumer } from '../ports/delayed-consumer';

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

/** Offsets of one partition read but not yet handled, in order; the commit point is the first unhandled one. */
class PartitionProgress {
  private readonly offsets: number[] = [];
  private readonly done = new Set<number>();
  private head = 0;
  private next = -1;
  committed = -1;

  add(offset: number): void {
    this.offsets.push(offset);
    this.next = Math.max(this.next, offset + 1);
  }

  complete(offset: number): void {
    this.done.add(offset);
    while (this.head < this.offsets.length && this.done.has(this.offsets[this.head]!)) {
      this.done.delete(this.offsets[this.head]!);
      this.head++;
    }
    if (this.head > 1024) {
      this.offsets.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The offset to commit: the oldest unhandled record, or past everything read. */
  watermark(): number {
    return this.head < this.offsets.length ? this.offsets[this.head]! : this.next;
  }
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
  private readonly progress = new Map<number, PartitionProgress>();
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly heldItems = new Set<Held>();
  private generation = 0;
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
    let progress = this.progress.get(partition);
    if (!progress) {
      progress = new PartitionProgress();
      this.progress.set(partition, progress);
    }
    const offset = Number(m.offset);
    progress.add(offset);
    const item: Held = { record, partition, offset, generation: this.generation };
    this.heldItems.add(item);
    this.arm(item, this.handler!.dueAt(record));
  }

  private arm(item: Held, dueAt: number): void {
    item.timer = setTimeout(() => this.enqueue(item), Math.max(0, dueAt - Date.now()));
  }

  private enqueue(item: Held): void {
    if (item.generation !== this.generation || !this.running) return;
    const lane = safeLane(this.handler!, item.record);
    const previous = this.lanes.get(lane) ?? Promise.resolve();
    const run = previous.then(() => this.run(item));
    this.lanes.set(lane, run);
    void run.finally(() => {
      if (this.lanes.get(lane) === run) this.lanes.delete(lane);
    });
  }

  private async run(item: Held): Promise<void> {
    if (item.generation !== this.generation || !this.running) return;
    try {
      await this.handler!.handle(item.record);
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, partition: item.partition, offset: item.offset }, 'retry record handler failed; trying it again shortly');
      if (this.running) this.arm(item, Date.now() + (this.opts.handlerRetryMs ?? 1_000));
      return;
    }
    this.heldItems.delete(item);
    if (item.generation !== this.generation) return;
    this.progress.get(item.partition)?.complete(item.offset);
    if (this.paused && this.heldItems.size < this.opts.maxHeld / 2) {
      this.paused = false;
      this.consumer.resume([{ topic: this.prefix + this.opts.topic }]);
    }
  }

  private async commit(): Promise<void> {
    const offsets: Array<{ topic: string; partition: number; offset: string }> = [];
    for (const [partition, p] of this.progress) {
      const w = p.watermark();
      if (w > p.committed) offsets.push({ topic: this.prefix + this.opts.topic, partition, offset: String(w) });
    }
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(offsets);
      for (const o of offsets) {
        const p = this.progress.get(o.partition);
        if (p) p.committed = Number(o.offset);
      }
    } catch (err) {
      // A rebalance in progress: the new assignment starts from the last successful commit.
      this.logger.debug({ err: { message: (err as Error).message } }, 'retry offsets not committed');
    }
  }

  private resetAfterRebalance(): void {
    this.generation++;
    for (const item of this.heldItems) clearTimeout(item.timer);
    this.heldItems.clear();
    this.progress.clear();
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
