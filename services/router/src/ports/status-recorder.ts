import type { StatusEvent } from '@hub/domain';

/**
 * Port: records status changes that happen outside the routing loop (the
 * retry worker's later attempts, dead letters) the same way the router
 * records routing outcomes: per recipient × channel, published on
 * hub.status.v1.
 */
export interface StatusRecorder {
  record(events: StatusEvent[]): Promise<void>;
}
