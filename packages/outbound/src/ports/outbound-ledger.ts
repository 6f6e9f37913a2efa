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
  /** The delivery of the same lane this one waits for (it goes once that one ended). */
  prev?: string;
  /** Kept while scheduled (the sweeper re-publishes from it) and on failures (replays need it). */
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
  /** The open delivery of the lane this one waits behind (routing path only). */
  prev?: string;
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

export interface LaneTail {
  delivery_id: string;
  seq: number;
}

/**
 * Port: the outbound ledger. Every lookup is by key, so it stays
 * cheap however much history there is (the MongoDB-compatible server used
 * in development serves only `_id` equality from an index).
 */
export interface OutboundLedger {
  /**
   * Called by the routing path before first tries: records that these
   * deliveries are being tried (one batched write), and answers, for those
   * that were tried before (a re-run after a crash), their entries if any,
   * and for each lane its newest still-open delivery.
   */
  startFirstTries(deliveryIds: string[], lanes: string[]): Promise<{ byId: Map<string, LedgerEntry>; openTails: Map<string, LaneTail> }>;
  /** Puts (or keeps) the delivery scheduled with a new schedule id; never reopens an ended one. Routing-path schedules become their lane's tail. */
  schedule(input: ScheduleInput): Promise<void>;
  /** Is this delivery still scheduled (not ended)? */
  isOpen(deliveryId: string): Promise<boolean>;
  /** The open delivery queued right behind this one in its lane, with its message, to promote once this one ended. */
  nextAfter(deliveryId: string): Promise<LedgerEntry | undefined>;
  /** Takes the delivery for one attempt if `scheduleId` is still current; undefined when the record is stale or a duplicate. */
  claim(deliveryId: string, scheduleId: string, holdMs: number): Promise<LedgerEntry | undefined>;
  /** Records deliveries that ended (many at once on the routing path; `fresh` when none of them has an entry yet). */
  finish(
    entries: Array<{ message: StoredMessage; recipient: string; channel: ExternalChannel; first_attempt_at: Date } & FinishInput>,
    opts?: { fresh?: boolean },
  ): Promise<void>;
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
  lastDeliveredTo(
    recipient: string,
    channel: ExternalChannel,
    externalId?: string,
  ): Promise<{ conversation_id: string; message_id: string } | undefined>;
}
