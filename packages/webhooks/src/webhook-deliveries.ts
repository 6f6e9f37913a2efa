/** Where a delivery stands: `pending` until delivered (`succeeded`) or given up (`failed`). */
export type WebhookDeliveryState = 'pending' | 'succeeded' | 'failed';

/** One HTTP attempt, as logged in webhook_deliveries and shown by the API. */
export interface AttemptRecord {
  attempt: number;
  at: Date;
  /** The receiver's status code; absent when there was no response (refused, unresolved, timeout, connection error). */
  status_code?: number;
  latency_ms: number;
  error?: string;
  /** The start of the response body (WEBHOOK_RESPONSE_MAX_BYTES at most). */
  response_body?: string;
  manual?: boolean;
}

/** A new delivery: one event for one webhook. */
export interface NewWebhookDelivery {
  delivery_id: string;
  webhook_id: string;
  owner: string;
  /** The `webhook-id` header: stable across every attempt of this event, so receivers can deduplicate. */
  event_id: string;
  event_type: string;
  /** The exact JSON body sent on every attempt. */
  body: string;
  /** Deliveries of one message to one webhook go out one at a time in order_seq order. */
  message_id?: string;
  order_seq?: number;
  /** W3C traceparent of the event's intake: every attempt's `webhook dispatch` span continues that trace. */
  traceparent?: string;
  created_at: Date;
  max_attempts: number;
}

/** A delivery as stored in webhook_deliveries. */
export interface WebhookDeliveryRecord extends NewWebhookDelivery {
  state: WebhookDeliveryState;
  attempt_count: number;
  next_attempt_at: Date;
  /** While in the future, one dispatcher holds the delivery (sends it, schedules its retries). */
  lease_until: Date;
  /** How often the lease was taken over (claims); absent before the first. */
  lease_gen?: number;
  /** The dispatcher process holding the lease. */
  lease_owner?: string;
  updated_at: Date;
  completed_at?: Date;
  last_status_code?: number;
  last_error?: string;
  /** Set by a manual re-send until its attempt is logged. */
  manual_retry?: boolean;
  attempts: AttemptRecord[];
}

/** The API view of a delivery. */
export interface WebhookDeliveryView {
  delivery_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  state: WebhookDeliveryState;
  attempt_count: number;
  max_attempts: number;
  next_attempt_at?: string;
  created_at: string;
  updated_at: string;
  completed_at?: string;
  last_status_code?: number;
  last_error?: string;
  payload: unknown;
  attempts: Array<Omit<AttemptRecord, 'at'> & { at: string }>;
}

export function publicWebhookDelivery(d: WebhookDeliveryRecord): WebhookDeliveryView {
  let payload: unknown;
  try {
    payload = JSON.parse(d.body);
  } catch {
    payload = d.body;
  }
  return {
    delivery_id: d.delivery_id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event_type: d.event_type,
    state: d.state,
    attempt_count: d.attempt_count,
    max_attempts: d.max_attempts,
    ...(d.state === 'pending' ? { next_attempt_at: d.next_attempt_at.toISOString() } : {}),
    created_at: d.created_at.toISOString(),
    updated_at: d.updated_at.toISOString(),
    ...(d.completed_at ? { completed_at: d.completed_at.toISOString() } : {}),
    ...(d.last_status_code !== undefined ? { last_status_code: d.last_status_code } : {}),
    ...(d.last_error ? { last_error: d.last_error } : {}),
    payload,
    attempts: d.attempts.map((a) => ({ ...a, at: a.at.toISOString() })),
  };
}

/** The stored form of a delivery just enqueued with the given lease. */
export function newWebhookDeliveryRecord(d: NewWebhookDelivery, leaseUntil: Date): WebhookDeliveryRecord {
  return {
    ...d,
    state: 'pending',
    attempt_count: 0,
    next_attempt_at: d.created_at,
    lease_until: leaseUntil,
    updated_at: d.created_at,
    attempts: [],
  };
}
