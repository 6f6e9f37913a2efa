import type { StatusEvent } from '@hub/domain';

/**
 * Port: records receipts (`delivered`, `read`) the way the pipeline records
 * every status: appended to the message's history, forward-only (a
 * transition `canTransition` refuses is dropped), and published on
 * hub.status.v1. Resolves with the events that were applied.
 */
export interface StatusRecorder {
  record(events: StatusEvent[]): Promise<StatusEvent[]>;
}
