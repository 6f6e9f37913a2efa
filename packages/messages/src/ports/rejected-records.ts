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

/**
 * The page cursor of RejectedRecords.list (newest first: the last record's
 * failed_at and id). Part of the port, so the HTTP edge can refuse a
 * cursor that is not one before asking the store.
 */
export function encodeCursor(r: Pick<RejectedRecord, 'failed_at' | 'id'>): string {
  return Buffer.from(JSON.stringify([r.failed_at, r.id])).toString('base64url');
}

/** The position a cursor stands for, or undefined when it is not a cursor from encodeCursor. */
export function decodeCursor(s: string): { failed_at: string; id: string } | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return { failed_at: v[0], id: v[1] };
  } catch {
    /* not ours */
  }
  return undefined;
}
