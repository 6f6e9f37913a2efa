import type { Context } from '@opentelemetry/api';
import { traceparentOf } from '@hub/platform';
import type { Fanout } from './fanout';
import { messageFrame } from './server-frames';

/** The routing port's request and outcome, as far as this delivery needs them (services/router/src/ports/hand-over.ts). */
export interface LivePushRequest {
  message: Parameters<typeof messageFrame>[0];
  recipient: string;
  channel: string;
  /** The hand-over's trace; the presence node's `websocket push` continues it. */
  trace?: Context;
}
export type LivePushOutcome = { kind: 'sent'; detail?: string } | { kind: 'pending'; detail?: string };

/**
 * The router's ChannelHandOver for channel `internal`: a recipient with a
 * live connection anywhere gets the `message` frame through their nodes'
 * delivery channels (`hub:deliver:{node}`) and the outcome is `sent`; an
 * offline recipient stays `pending` and gets the message on reconnect.
 * The sender's own connections get the frame too (their other devices stay
 * in sync, and the sending one learns the message's sequence number); that
 * is no delivery and has no status. One publish per message and node.
 */
export class LivePush {
  constructor(private readonly fanout: Fanout) {}

  async deliver(requests: readonly LivePushRequest[]): Promise<LivePushOutcome[]> {
    const byMessage = new Map<string, { request: LivePushRequest; recipients: string[] }>();
    for (const r of requests) {
      const entry = byMessage.get(r.message.message_id);
      if (entry) entry.recipients.push(r.recipient);
      else byMessage.set(r.message.message_id, { request: r, recipients: [r.recipient] });
    }
    const messages = [...byMessage.values()];
    // In the order given (sequence order per conversation): one lookup, then the publishes in that order.
    const reachedList = await this.fanout.many(
      messages.map(({ request, recipients }) => {
        const from = request.message.from;
        const traceparent = request.trace ? traceparentOf(request.trace) : undefined;
        return {
          users: recipients.includes(from) ? recipients : [...recipients, from],
          frame: { op: 'message' as const, d: messageFrame(request.message) },
          ...(traceparent ? { traceparent } : {}),
        };
      }),
    );
    const reached = new Map(messages.map(({ request }, i) => [request.message.message_id, reachedList[i]!]));
    return requests.map((r) =>
      reached.get(r.message.message_id)?.has(r.recipient)
        ? { kind: 'sent', detail: 'pushed to a live WebSocket connection' }
        : { kind: 'pending', detail: 'recipient offline; delivered on reconnect' },
    );
  }
}
