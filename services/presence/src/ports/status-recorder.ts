import type { StatusEvent } from '@hub/domain';

/**
 * Port: records receipts (`delivered`, `read`) the way every status is
 * recorded: published on hub.status.v1, from where the pipeline's status
 * writer appends them to the message's history. Readers fold that history
 * forward-only (`canTransition`), so a late or repeated receipt never moves
 * a status backwards. Resolves once the event log acknowledged.
 */
export interface StatusRecorder {
  record(events: StatusEvent[]): Promise<void>;
}
