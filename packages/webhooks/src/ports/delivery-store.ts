import type { AttemptRecord, DeliveryRecord, DeliveryState, NewDelivery } from '../deliveries';

/** How an attempt leaves the delivery: pending again at `next_attempt_at`, or done. */
export type AttemptResult = { state: 'pending'; next_attempt_at: Date } | { state: 'succeeded' | 'failed' };

export interface DeliveryListQuery {
  limit: number;
  /** Only deliveries created before this delivery id (ids are time-ordered): the next page. */
  before?: string;
  state?: DeliveryState;
}

/**
 * Port: the durable delivery queue and attempt log (MongoDB
 * `webhook_deliveries`). Every pending delivery is due at its
 * next_attempt_at; a dispatcher claims one with a lease before its attempt,
 * so several dispatchers never send the same attempt twice and a crashed
 * one's attempt is taken over when its lease runs out.
 */
export interface DeliveryStore {
  ensureIndexes(): Promise<void>;
  /** Inserts new deliveries in order, skipping any already there (same webhook and event): safe to repeat. Resolves with how many were new. */
  enqueue(deliveries: readonly NewDelivery[]): Promise<number>;
  /** Webhooks that have pending deliveries due at `now` and not leased. */
  webhooksWithDueWork(now: Date): Promise<string[]>;
  /** Due, unleased pending deliveries of one webhook, oldest first. */
  due(webhookId: string, now: Date, limit: number): Promise<DeliveryRecord[]>;
  /** Is an earlier delivery of the same message to the same webhook still pending? (It goes first.) */
  hasPendingPredecessor(d: Pick<DeliveryRecord, 'delivery_id' | 'webhook_id' | 'message_id' | 'order_seq'>): Promise<boolean>;
  /** Takes the delivery for one attempt if it is still pending, due and unleased; undefined when someone else has it. */
  claim(deliveryId: string, now: Date, leaseUntil: Date): Promise<DeliveryRecord | undefined>;
  /** Logs an attempt and sets the delivery's next state, releasing the lease. */
  recordAttempt(deliveryId: string, attempt: AttemptRecord, result: AttemptResult, now: Date): Promise<void>;
  /** Gives a claimed delivery back unattempted (shutdown), due at once. */
  release(deliveryId: string, now: Date): Promise<void>;
  /** Fails every pending delivery of a webhook (deleted, paused or disabled) with `reason`. */
  failPending(webhookId: string, reason: string, now: Date): Promise<number>;
  get(webhookId: string, deliveryId: string): Promise<DeliveryRecord | undefined>;
  /** Newest first. */
  list(webhookId: string, query: DeliveryListQuery): Promise<DeliveryRecord[]>;
  /**
   * Manual re-send: makes the delivery pending and due now. A delivery that
   * had finished gets exactly one more attempt; a pending one is only moved
   * forward. Undefined when there is no such delivery.
   */
  requeue(webhookId: string, deliveryId: string, now: Date): Promise<DeliveryRecord | undefined>;
  /** Deletes finished deliveries created before `before` (retention). */
  purgeFinished(before: Date): Promise<number>;
}
