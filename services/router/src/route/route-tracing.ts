import { ROOT_CONTEXT, SpanKind, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { Topics, type MessageEvent } from '@hub/domain';
import { failSpan, hubTracer, linkTo, SpanAttr, startHubSpan, startProcessSpan, withMessage, type ConsumedRecord } from '@hub/platform';
import type { DeliveryOutcome, DeliveryRequest } from '../ports/hand-over';

/** Span limits keep 128 links per span; a batch links to at most that many of its messages. */
const MAX_BATCH_LINKS = 128;

/**
 * The spans of one route batch. The router works a batch of records at a
 * time, so there are two views:
 *  - `route batch` (a root span, kind consumer) with a child per step
 *    (`route dedup`, `route sequence`, `route insert`, ...) and links to the
 *    messages' contexts: where the batch's time went;
 *  - per message, `process hub.messages.v1`, a CHILD of the context its
 *    record carries (the accept), linked to the batch span, with events
 *    `stored` / `duplicate` / `dead_lettered` and, below it, one
 *    `hand-over {channel}` span per recipient × channel: the message's own
 *    trace continues unbroken from accept to hand-over.
 */
export class RouteTracing {
  private readonly batch: Span;
  private readonly batchLink: Link[];
  private readonly messages = new Map<string, { span: Span; ctx: Context }>();
  /** When the previous step ended (the batch's start before the first). */
  private lastStep = Date.now();

  constructor(records: readonly ConsumedRecord[]) {
    const links: Link[] = [];
    for (const r of records) {
      if (links.length >= MAX_BATCH_LINKS) break;
      const l = linkTo(r.traceContext);
      if (l) links.push(l);
    }
    this.batch = startHubSpan(
      'route batch',
      {
        [SpanAttr.messagingSystem]: 'kafka',
        [SpanAttr.destination]: Topics.messages,
        [SpanAttr.operationType]: 'process',
        [SpanAttr.batchCount]: records.length,
      },
      ROOT_CONTEXT,
      SpanKind.CONSUMER,
      links,
    );
    const own = linkTo(trace.setSpan(ROOT_CONTEXT, this.batch));
    this.batchLink = own ? [own] : [];
  }

  /** Opens the message's `process` span, child of its record's context. */
  begin(record: ConsumedRecord, e: MessageEvent): void {
    const span = startProcessSpan(
      Topics.messages,
      'router',
      record.traceContext,
      {
        [SpanAttr.messageId]: e.message_id,
        [SpanAttr.conversationId]: e.conversation_id,
        [SpanAttr.partition]: String(record.partition),
        [SpanAttr.offset]: record.offset,
      },
      this.batchLink,
    );
    this.messages.set(e.message_id, {
      span,
      ctx: withMessage(trace.setSpan(record.traceContext, span), { message_id: e.message_id, conversation_id: e.conversation_id }),
    });
  }

  /** The message's context: its `process` span, and its ids for log lines. */
  contextOf(messageId: string): Context | undefined {
    return this.messages.get(messageId)?.ctx;
  }

  event(messageId: string, name: string, attrs: Record<string, string | number> = {}): void {
    this.messages.get(messageId)?.span.addEvent(name, attrs);
  }

  /** Ends a message's span early: it goes no further in this batch (duplicate, dead-lettered). */
  finish(messageId: string | undefined, outcome: string): void {
    if (messageId === undefined) return;
    const m = this.messages.get(messageId);
    if (!m) return;
    m.span.setAttribute(SpanAttr.outcome, outcome);
    m.span.end();
    this.messages.delete(messageId);
  }

  /** A child of the batch span covering the time since the previous step. */
  step(name: string): void {
    const now = Date.now();
    hubTracer().startSpan(`route ${name}`, { startTime: this.lastStep }, trace.setSpan(ROOT_CONTEXT, this.batch)).end(now);
    this.lastStep = now;
  }

  /**
   * One `hand-over {channel}` span per request, child of its message's
   * span; the requests returned carry it so that the channel's own spans
   * (push, connector call, retry scheduling) and the status record nest
   * below it. `done` records the outcomes and ends them.
   */
  handOver(requests: DeliveryRequest[]): { requests: DeliveryRequest[]; done(outcomes: DeliveryOutcome[]): void } {
    const spans: Span[] = [];
    const traced = requests.map((r) => {
      const parent = this.contextOf(r.message.message_id) ?? ROOT_CONTEXT;
      const span = startHubSpan(
        `hand-over ${r.channel}`,
        {
          [SpanAttr.messageId]: r.message.message_id,
          [SpanAttr.conversationId]: r.message.conversation_id,
          [SpanAttr.recipient]: r.recipient,
          [SpanAttr.channel]: r.channel,
        },
        parent,
      );
      spans.push(span);
      return { ...r, trace: trace.setSpan(parent, span) };
    });
    return {
      requests: traced,
      done: (outcomes) => {
        spans.forEach((span, i) => {
          const o = outcomes[i];
          if (o) span.setAttribute(SpanAttr.outcome, o.kind);
          span.end();
        });
      },
    };
  }

  /** Ends every span: the batch finished. */
  end(): void {
    for (const { span } of this.messages.values()) {
      span.setAttribute(SpanAttr.outcome, 'routed');
      span.end();
    }
    this.messages.clear();
    this.batch.end();
  }

  /** Ends every span with an error: the batch threw and will be redelivered. */
  fail(err: unknown): void {
    for (const { span } of this.messages.values()) failSpan(span, err);
    this.messages.clear();
    failSpan(this.batch, err);
  }
}
