import type { RecordedStatus } from '@hub/domain';

/** One status change to append; `id` makes the append idempotent (the event's envelope id). */
export interface StatusRecord extends RecordedStatus {
  id: string;
  message_id: string;
  conversation_id: string;
  /** The span that published the change (its record's traceparent), when the record carried one. */
  trace_id?: string;
  span_id?: string;
}

/**
 * Port: the append-only status log. Written only by the status writer
 * (hub.status.v1 → here), read by the status API, which folds it with
 * buildStatusView: appending never updates a message document.
 */
export interface StatusStore {
  /** Appends; records whose id is already stored are skipped. */
  append(records: readonly StatusRecord[]): Promise<{ appended: number }>;
  forMessage(messageId: string): Promise<RecordedStatus[]>;
  /** The message's status changes as stored, with their ids and trace ids, at most `limit` (the timeline). */
  records(messageId: string, limit: number): Promise<StatusRecord[]>;
}
