import type { ExternalChannel, StoredMessage } from '@hub/domain';

export type LedgerState = 'scheduled' | 'delivered' | 'failed';

/**
 * Where one external delivery stands. Written when a delivery leaves the
 * fast path (first try failed or had to wait) and when it ends, so that:
 * later messages of the same lane wait their turn, redelivered Kafka
 * records and re-run routing do not send twice, and a schedule lost in a
 * crash is found again by the sweeper.
 */
export interface LedgerEntry {
  delivery_id: string;
  lane: string;
  seq: number;
  message_id: string;
  conversation_id: string;
  recipient: string;
  channel: ExternalChannel;
  state: LedgerState;
  /** Provider calls made so far. */
  attempts: number;
  /** The attempt the current schedule will make. */
  next_attempt: number;
  /** Id of the one retry record allowed to act on the current schedule. */
  schedule_id: string;
  /** When the current schedule is due, or when a worker's hold on it expires. */
  next_at: Date;
  first_attempt_at: Date;
  /** Bumped by every replay of a dead letter. */
  generation: number;
  /** Scheduled only because an earlier message of its lane was pending (not tried yet on this schedule). */
  queued?: boolean;
  /** Kept while scheduled (the sweeper re-publishes from it); dropped once the delivery ended. */
  message?: StoredMessage;
  external_id?: string;
  reason?: string;
  last_error?: string;
  updated_at: Date;
}

export interface ScheduleInput {
  message: StoredMessage;
  recipient: string;
  channel: ExternalChannel;
  attempts: number;
  next_attempt: number;
  schedule_id: string;
  next_at: Date;
  first_attempt_at: Date;
  queued?: boolean;
  last_error?: string;
  /** The caller knows there is no entry yet (first try on the routing path): insert without looking first. */
  fresh?: boolean;
}

export interface FinishInput {
  state: 'delivered' | 'failed';
  attempts: number;
  external_id?: string;
  reason?: string;
  last_error?: string;
}

/** Port: the external delivery ledger (MongoDB collection `deliveries`). */
export interface DeliveryLedger {
  /** Entries for these deliveries, plus every still-scheduled entry of these lanes (one round trip per routing batch). */
  lookup(deliveryIds: string[], lanes: string[]): Promise<{ byId: Map<string, LedgerEntry>; scheduledByLane: Map<string, number[]> }>;
  /** Is an earlier message (lower seq) of this lane still scheduled? */
  hasEarlierScheduled(lane: string, seq: number): Promise<boolean>;
  /** The lane's earliest still-scheduled delivery (with its message), to promote it once the one before it ended. */
  nextInLane(lane: string): Promise<LedgerEntry | undefined>;
  /** Puts (or keeps) the delivery scheduled with a new schedule id; never reopens an ended one. */
  schedule(input: ScheduleInput): Promise<void>;
  /** Takes the delivery for one attempt if `scheduleId` is still current; undefined when the record is stale or a duplicate. */
  claim(deliveryId: string, scheduleId: string, holdMs: number): Promise<LedgerEntry | undefined>;
  /** Records deliveries that ended (many at once on the routing path; `fresh` when none of them has an entry yet). */
  finish(entries: Array<{ message: StoredMessage; recipient: string; channel: ExternalChannel; first_attempt_at: Date } & FinishInput>, opts?: { fresh?: boolean }): Promise<void>;
  /** Scheduled entries whose schedule is overdue by more than `graceMs` (lost in a crash). */
  overdue(now: Date, graceMs: number, limit: number): Promise<LedgerEntry[]>;
  /** Gives an overdue entry a new schedule id if nobody else did since `seenNextAt`; false when another sweeper won. */
  resweep(deliveryId: string, seenNextAt: Date, scheduleId: string, nextAt: Date): Promise<boolean>;
  /** A failed delivery scheduled again from attempt 1 (dead-letter replay); undefined unless it was failed. */
  reopen(deliveryId: string, message: StoredMessage, scheduleId: string, nextAt: Date): Promise<LedgerEntry | undefined>;
  get(deliveryId: string): Promise<LedgerEntry | undefined>;
  /**
   * The delivery a recipient answers when they reply on the channel: the one
   * with that provider message id if given, else their most recent one.
   */
  lastDeliveredTo(recipient: string, channel: ExternalChannel, externalId?: string): Promise<LedgerEntry | undefined>;
}
