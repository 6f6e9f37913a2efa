import type { PoisonRecord } from '@hub/domain';

/** A record the router could not process, as published on hub.dlq.v1; `id` is `topic:partition:offset`. */
export interface RejectedRecord extends PoisonRecord {
  id: string;
}

export interface RejectedRecordQuery {
  limit: number;
  /** Cursor from the previous page (newest first). */
  after?: string;
  /** Only records from this topic (hub.messages.v1, hub.status.v1). */
  topic?: string;
}

/**
 * Port: records the router refused (unparseable, invalid, or a message for
 * an unknown conversation or from a non-member, after its 202), kept for
 * operators beside hub.dlq.v1, which only a Kafka consumer can read.
 */
export interface RejectedRecords {
  /** Idempotent by id: a redelivered record is kept once. */
  add(records: readonly RejectedRecord[]): Promise<void>;
  /** Newest first; `next` is the cursor of the following page when there may be one. */
  list(query: RejectedRecordQuery): Promise<{ records: RejectedRecord[]; next?: string }>;
}
