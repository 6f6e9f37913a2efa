import type { AttemptRecord, WebhookDeliveryRecord, WebhookDeliveryState, NewWebhookDelivery } from '../webhook-deliveries';

export interface WebhookDeliveryListQuery {
  limit: number;
  /** Only deliveries created before this delivery id (ids are time-ordered): the next page. */
  before?: string;
  state?: WebhookDeliveryState;
}

/** A request from the API to attempt a delivery now (test event, manual re-send). */
export interface AttemptRequest {
  delivery_id: string;
  webhook_id: string;
  requested_at: Date;
}

/**
 * Port: the durable side of webhook delivery. A delivery lives in exactly
 * one of two places: the queue while it is pending (with the attempts made
 * so far), the log once it succeeded or failed (with every attempt). The
 * dispatcher holds the pending deliveries it works on in memory and owns
 * them through a lease (`lease_until`); a delivery whose lease ran out (its
 * dispatcher died) is found again by `recoverable`, so nothing is lost.
 *
 * The hot path is inserts and batched deletes: on the test stack's
 * MongoDB-compatible server an update or delete costs a scan of its
 * collection, so the queue, the only collection updated per delivery, holds
 * only what is pending.
 */
export interface WebhookDeliveryStore {
  ensureIndexes(): Promise<void>;
  /** A message's webhook deliveries (queued or finished), at most `limit`: the message timeline. */
  forMessage(messageId: string, limit: number): Promise<WebhookDeliveryRecord[]>;
  /**
   * Queues new deliveries, leased to `owner` until `leaseUntil`, skipping
   * any still pending for the same webhook and event (a Kafka redelivery).
   * Resolves with the ids actually queued, and the pending copies of the
   * skipped ones that `owner` itself leased (its own earlier try of the same
   * batch), which it should take up again.
   */
  enqueue(
    deliveries: readonly NewWebhookDelivery[],
    leaseUntil: Date,
    owner: string,
  ): Promise<{ inserted: Set<string>; ownedAlready: WebhookDeliveryRecord[] }>;
  /**
   * Takes over a pending delivery whose lease has run out; undefined when
   * someone else holds it or it is no longer pending. Exclusive: of
   * concurrent claimers exactly one wins.
   */
  claim(deliveryId: string, now: Date, leaseUntil: Date, owner: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Logs a failed attempt of a delivery that stays pending until `nextAttemptAt`, leased until `leaseUntil`. */
  recordRetry(deliveryId: string, attempt: AttemptRecord, nextAttemptAt: Date, leaseUntil: Date, now: Date): Promise<void>;
  /** Writes finished deliveries (succeeded or failed, with all their attempts) to the log. Remove them from the queue with `dequeue`. */
  finish(records: readonly WebhookDeliveryRecord[]): Promise<void>;
  /** Removes finished deliveries from the queue (batched by the caller), unless re-sent since `finished_at`. */
  dequeue(finished: ReadonlyArray<{ delivery_id: string; finished_at: Date }>): Promise<void>;
  /** Gives held deliveries back (shutdown): another dispatcher may take them when they are due. */
  release(deliveryIds: readonly string[]): Promise<void>;
  /** Extends the lease of held deliveries. */
  renew(deliveryIds: readonly string[], leaseUntil: Date): Promise<void>;
  /** Pending deliveries that are due and that nobody holds (a dispatcher died, or none had room), oldest due first. */
  recoverable(now: Date, limit: number): Promise<WebhookDeliveryRecord[]>;
  /** Queues an API-originated delivery (test event) unleased and announces it in the requests. */
  submit(delivery: NewWebhookDelivery): Promise<void>;
  /**
   * Manual re-send: makes the delivery pending and due now and announces it.
   * A finished delivery gets exactly one more attempt; a pending one is only
   * moved forward. Undefined when the webhook has no such delivery.
   */
  requeue(webhookId: string, deliveryId: string, now: Date): Promise<WebhookDeliveryRecord | undefined>;
  /** Attempt requests from the API, oldest first. */
  requests(limit: number): Promise<AttemptRequest[]>;
  clearRequest(deliveryId: string): Promise<void>;
  /** A delivery of the webhook, pending or finished. */
  get(webhookId: string, deliveryId: string): Promise<WebhookDeliveryRecord | undefined>;
  /** A pending delivery by id alone (the dispatcher, serving a request). */
  pending(deliveryId: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Pending and finished deliveries of a webhook, newest first. */
  list(webhookId: string, query: WebhookDeliveryListQuery): Promise<WebhookDeliveryRecord[]>;
  /** Deletes finished deliveries created before `before` (retention). */
  purgeFinished(before: Date): Promise<number>;
}
