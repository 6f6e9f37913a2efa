import type { ConsumedRecord } from '@hub/platform';

export interface DelayedHandler {
  /** When the record may run (ms since epoch); records already due run at once. */
  dueAt(record: ConsumedRecord): number;
  /** Records of one lane run one at a time, in the order they fell due; lanes run concurrently. */
  lane(record: ConsumedRecord): string;
  /** Throwing keeps the record (and everything after it in its partition) uncommitted; it is tried again shortly. */
  handle(record: ConsumedRecord): Promise<void>;
}

/**
 * Port: a topic whose records must wait until their time without holding
 * up the records behind them (hub.retry.v1). Records are read ahead into an
 * in-process delay queue; a partition's offset is committed only up to its
 * oldest record not yet handled, so a crash re-reads (and re-runs) what was
 * not finished: at-least-once, to handlers that drop duplicates themselves.
 */
export interface DelayedTopicConsumer {
  start(handler: DelayedHandler): Promise<void>;
  stop(): Promise<void>;
  /** Records read and not yet handled. */
  held(): number;
}
