import { z } from 'zod';
import { CHANNELS, type ExternalChannel, type StoredMessage } from '@hub/domain';

export const RETRY_RECORD = 'delivery.retry';
export const DEAD_LETTER = 'delivery.dead_letter';

const EXTERNAL = CHANNELS.filter((c): c is ExternalChannel => c !== 'internal') as [ExternalChannel, ...ExternalChannel[]];
export const ExternalChannelSchema = z.enum(EXTERNAL);

/** One external delivery: a stored message to one recipient on one channel. */
export function deliveryId(messageId: string, recipient: string, channel: ExternalChannel): string {
  return `${messageId}|${recipient}|${channel}`;
}

/**
 * Deliveries that must keep their order: one conversation to one recipient
 * on one channel. A later message in a lane never overtakes an earlier one
 * that is still being retried.
 */
export function laneOf(conversationId: string, recipient: string, channel: ExternalChannel): string {
  return `${conversationId}|${recipient}|${channel}`;
}

/**
 * Why a delivery is on hub.retry.v1:
 * - `retry`: the provider failed transiently; `attempt` is the next try.
 * - `deferred`: not tried (breaker open, rate limit); the attempt is not used up.
 * - `queued`: an earlier message of its lane is still pending; waits its turn.
 * - `replay`: an operator replayed a dead letter.
 * - `sweep`: re-published because its schedule was lost (crash between store and publish).
 */
export const RETRY_REASONS = ['retry', 'deferred', 'queued', 'replay', 'sweep'] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];

/** Payload of `delivery.retry` envelopes on hub.retry.v1 (key: conversation_id). */
export interface RetryRecord {
  delivery_id: string;
  message: StoredMessage;
  recipient: string;
  channel: ExternalChannel;
  /** The attempt this record makes when it is due (1-based; attempt 1 was the first try at routing time). */
  attempt: number;
  /** Matches the ledger's current schedule; a record whose id no longer matches is stale and dropped. */
  schedule_id: string;
  not_before: string;
  reason: RetryReason;
  last_error?: string;
}

const StoredMessageShape = z
  .object({
    message_id: z.string().min(1),
    conversation_id: z.string().min(1),
    from: z.string(),
    to: z.array(z.string()),
    sequence_number: z.number().int().positive(),
    payload: z.object({ type: z.enum(['text', 'file']) }).loose(),
  })
  .loose();

/** Checks a consumed retry record; anything else on the topic is poison. */
export const RetryRecordSchema = z.object({
  delivery_id: z.string().min(1),
  message: StoredMessageShape,
  recipient: z.string().min(1),
  channel: ExternalChannelSchema,
  attempt: z.number().int().positive(),
  schedule_id: z.string().min(1),
  not_before: z.iso.datetime(),
  reason: z.enum(RETRY_REASONS),
  last_error: z.string().optional(),
});

/**
 * A delivery that will not be retried any more: payload of
 * `delivery.dead_letter` on hub.dlq.v1, also stored (collection
 * `dead_letters`) so operators can list and replay it.
 */
export interface DeadLetter {
  id: string;
  delivery_id: string;
  message: StoredMessage;
  recipient: string;
  channel: ExternalChannel;
  /** Provider calls made before giving up. */
  attempts: number;
  /** Machine-readable cause: `chat_not_found`, `attempts_exhausted`, `deferred_too_long`, … */
  reason: string;
  last_error: string;
  failed_at: string;
  /** Counts replays of this delivery, so a replayed delivery that fails again gets a new dead letter. */
  generation: number;
  replayed_at?: string;
  replayed_by?: string;
}
