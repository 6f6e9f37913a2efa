import type { RecordedStatus } from '@hub/domain';

/** One status change to append; `id` makes the append idempotent (the event's envelope id). */
export interface StatusRecord extends RecordedStatus {
  id: string;
  message_id: string;
  conversation_id: string;
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
}
