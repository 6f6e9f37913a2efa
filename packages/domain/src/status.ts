import { z } from 'zod';
import { ChannelSchema, type Channel } from './message';

export const STATUSES = ['accepted', 'pending', 'retrying', 'sent', 'delivered', 'read', 'failed'] as const;
export const StatusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof StatusSchema>;

/**
 * Progress rank: a status may only replace one of lower rank, so statuses
 * never go backwards even when events arrive late or twice. `pending` and
 * `retrying` sit between accepted and sent; `failed` is terminal but never
 * overrides a delivery that already happened.
 */
const RANK: Record<Status, number> = { accepted: 0, pending: 1, retrying: 1, sent: 2, delivered: 3, read: 4, failed: 5 };

/** A status's place in the forward order (pending and retrying share one): what orders events of one recipient × channel. */
export function statusRank(status: Status): number {
  return RANK[status];
}

/**
 * Whether `to` may replace `from`. `failed` is final except for one way
 * out: a replay of the dead letter (an operator decision) reopens the
 * delivery as `retrying`, flagged `reopened`, after which it moves on as
 * any delivery does.
 */
export function canTransition(from: Status | undefined, to: Status, opts: { reopened?: boolean } = {}): boolean {
  if (from === undefined) return true;
  if (from === 'failed') return opts.reopened === true && to === 'retrying';
  if (to === 'failed') return from !== 'delivered' && from !== 'read';
  if (from === to) return false;
  // pending <-> retrying are side states of equal rank: both can move to the other.
  if (RANK[to] === RANK[from]) return to !== from;
  return RANK[to] > RANK[from];
}

export const TERMINAL_STATUSES: readonly Status[] = ['read', 'failed'];

/** Payload of `message.status` envelopes on hub.status.v1 (key: conversation_id). */
export interface StatusEvent {
  message_id: string;
  conversation_id: string;
  recipient: string;
  channel: Channel;
  status: Status;
  /** Why, for failures and retries (e.g. `no_mapping`, provider error text). */
  detail?: string;
  /** Provider's id for the delivered message (e.g. Telegram message id). */
  external_id?: string;
  /** Set on the `retrying` event of a dead-letter replay: the one change allowed after `failed`. */
  reopened?: true;
  sequence_number?: number;
  /** The sender, so webhooks and status frames reach the right owner without a lookup. */
  from: string;
  submitted_by: string;
  occurred_at: string;
}

/** One line of a message's status_history. */
export interface StatusHistoryEntry {
  recipient: string;
  channel: Channel;
  status: Status;
  at: string;
  detail?: string;
}

/** Roll-up of per-recipient states into one message status: the least advanced non-failed, else failed. */
export function rollUp(states: Status[]): Status {
  if (states.length === 0) return 'accepted';
  const live = states.filter((s) => s !== 'failed');
  if (live.length === 0) return 'failed';
  return live.reduce((min, s) => (RANK[s] < RANK[min] ? s : min));
}

export type RecipientChannelKey = `${string}|${Channel}`;

/** What a consumer of hub.status.v1 accepts as a StatusEvent (the status writer refuses anything else as poison). */
export const StatusEventSchema = z.object({
  message_id: z.string().min(1).max(64),
  conversation_id: z.string().min(1).max(64),
  recipient: z.string().min(1).max(200),
  channel: ChannelSchema,
  status: StatusSchema,
  detail: z.string().max(2_000).optional(),
  external_id: z.string().max(200).optional(),
  reopened: z.literal(true).optional(),
  sequence_number: z.number().int().positive().optional(),
  from: z.string().min(1).max(200),
  submitted_by: z.string().min(1).max(200),
  occurred_at: z.iso.datetime({ offset: true }),
});
