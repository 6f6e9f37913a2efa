import { context, ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { contextFromTraceparent, SpanAttr, startHubSpan, withMessage } from '@hub/platform';
import type { NodePush } from '@hub/push';

/**
 * Traces pushes on this node: a `websocket push` span per pushed message
 * (child of the router's hand-over, whose traceparent came with the push),
 * remembered by message id so that the recipient's `ack` continues the same
 * trace. Bounded: the oldest entries go first; an ack whose push is
 * forgotten (or came from catch-up) starts a trace of its own.
 */
export class PushTraces {
  private readonly byMessage = new Map<string, Context>();

  constructor(private readonly max = 10_000) {}

  /** Hands a push to `deliver` inside its span (pushes without a trace go as they are). */
  deliver(push: NodePush, deliver: (push: NodePush) => void): void {
    if (push.frame.op !== 'message' || !push.traceparent) {
      deliver(push);
      return;
    }
    const d = push.frame.d;
    const parent = withMessage(contextFromTraceparent(push.traceparent), { message_id: d.message_id, conversation_id: d.conversation_id });
    const span = startHubSpan(
      'websocket push',
      {
        [SpanAttr.messageId]: d.message_id,
        [SpanAttr.conversationId]: d.conversation_id,
        [SpanAttr.channel]: 'internal',
        'hub.users': push.users.length,
      },
      parent,
      SpanKind.PRODUCER,
    );
    const ctx = trace.setSpan(parent, span);
    try {
      context.with(ctx, () => deliver(push));
    } finally {
      span.end();
    }
    this.byMessage.delete(d.message_id);
    this.byMessage.set(d.message_id, ctx);
    if (this.byMessage.size > this.max) this.byMessage.delete(this.byMessage.keys().next().value!);
  }

  /** The context an ack of this message continues: its push's, else none. */
  parentOf(messageId: string): Context {
    return this.byMessage.get(messageId) ?? ROOT_CONTEXT;
  }
}
