import type { Context } from '@opentelemetry/api';
import { PermanentError, isTransient, type Channel, type Status, type StoredMessage } from '@hub/domain';

/** One hand-over the router asks for: this stored message, to this recipient, on this channel. */
export interface DeliveryRequest {
  message: StoredMessage;
  recipient: string;
  channel: Channel;
  /** The trace this hand-over belongs to (its `hand-over {channel}` span); the channel's spans nest below it. */
  trace?: Context;
}

/**
 * What became of one hand-over. The router records it as a status of the
 * (message, recipient, channel) and publishes it on hub.status.v1:
 * - `sent`: handed to a live WebSocket connection or accepted by the provider.
 * - `pending`: the recipient cannot take it now (offline); it stays stored and
 *   is delivered in order on reconnect (issue 5) — nothing is lost.
 * - `retry`: a transient failure (network, 5xx, 429). Recorded as `retrying`;
 *   scheduling the next attempt (hub.retry.v1) is the retry worker's job.
 * - `failed`: a permanent failure (no mapping, 4xx from the provider); terminal.
 */
export type DeliveryOutcome =
  | { kind: 'sent'; externalId?: string; detail?: string }
  | { kind: 'pending'; detail?: string }
  | { kind: 'retry'; detail: string; retryAfterMs?: number }
  | { kind: 'failed'; reason: string; detail?: string };

/** The status an outcome is recorded as. */
export function outcomeStatus(o: DeliveryOutcome): Status {
  switch (o.kind) {
    case 'sent':
      return 'sent';
    case 'pending':
      return 'pending';
    case 'retry':
      return 'retrying';
    case 'failed':
      return 'failed';
  }
}

/**
 * Port: hand-over on one channel (WebSocket for `internal`, a connector for
 * the external ones). Implementations receive a batch of requests for their
 * channel and resolve with exactly one outcome per request, in the same
 * order, so they can batch their own lookups (presence, rate limits).
 *
 * Contract:
 * - Called only after the message is stored with its sequence_number, in
 *   sequence order per conversation.
 * - At-least-once: after a crash the same request may come again (the router
 *   re-runs routing for stored messages whose statuses were not recorded), so
 *   a push may be seen twice; frames carry message_id for the client to dedup.
 * - A failure of one request is an outcome, not a throw. Throwing fails the
 *   whole call: TransientError → every request `retry`; PermanentError or
 *   anything else → every request `failed` with the error's reason — other
 *   channels of the same message are not affected.
 * - Must not block for long: slow work (provider calls with backoff) belongs
 *   behind a queue (hub.retry.v1), not in the routing loop, which holds the
 *   partition while it waits.
 */
export interface ChannelHandOver {
  deliver(requests: readonly DeliveryRequest[]): Promise<DeliveryOutcome[]>;
}

/** Port the route worker calls: hands over every (recipient, channel) of a batch of stored messages. */
export interface HandOverRouter {
  deliver(requests: readonly DeliveryRequest[]): Promise<DeliveryOutcome[]>;
}

/**
 * The default for a channel nobody delivers on yet: the recipient stays
 * `pending` (stored, visible in the status API and history, delivered once a
 * delivery for that channel exists and the client resumes).
 */
export class PendingHandOver implements ChannelHandOver {
  constructor(private readonly detail = 'no live delivery for this channel') {}

  async deliver(requests: readonly DeliveryRequest[]): Promise<DeliveryOutcome[]> {
    return requests.map(() => ({ kind: 'pending', detail: this.detail }));
  }
}

/**
 * Routes each request to the ChannelHandOver registered for its channel
 * (PendingHandOver where none is), calling the channels concurrently and
 * isolating their failures from each other.
 */
export class ChannelHandOverRouter implements HandOverRouter {
  private readonly fallback: ChannelHandOver;

  constructor(
    private readonly byChannel: Partial<Record<Channel, ChannelHandOver>> = {},
    fallback?: ChannelHandOver,
  ) {
    this.fallback = fallback ?? new PendingHandOver();
  }

  async deliver(requests: readonly DeliveryRequest[]): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = new Array(requests.length);
    const groups = new Map<Channel, number[]>();
    requests.forEach((r, i) => {
      const idx = groups.get(r.channel);
      if (idx) idx.push(i);
      else groups.set(r.channel, [i]);
    });
    await Promise.all(
      [...groups].map(async ([channel, indexes]) => {
        const handOver = this.byChannel[channel] ?? this.fallback;
        const batch = indexes.map((i) => requests[i]!);
        let result: DeliveryOutcome[];
        try {
          result = await handOver.deliver(batch);
          if (result.length !== batch.length)
            throw new PermanentError(
              `hand-over for ${channel} returned ${result.length} outcomes for ${batch.length} requests`,
              'delivery_contract',
            );
        } catch (err) {
          const failure: DeliveryOutcome = isTransient(err)
            ? { kind: 'retry', detail: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) }
            : { kind: 'failed', reason: err instanceof PermanentError ? err.reason : 'delivery_error', detail: (err as Error).message };
          result = batch.map(() => failure);
        }
        indexes.forEach((reqIndex, k) => (outcomes[reqIndex] = result[k]!));
      }),
    );
    return outcomes;
  }
}
