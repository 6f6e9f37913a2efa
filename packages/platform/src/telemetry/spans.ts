import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';

/** The tracer every span of the hub's own comes from (one instrumentation scope). */
export const hubTracer = () => trace.getTracer('messaging-hub');

/**
 * Attribute names: OpenTelemetry messaging semantic conventions for Kafka
 * (https://opentelemetry.io/docs/specs/semconv/messaging/kafka/), plus the
 * hub's own under `hub.`.
 */
export const SpanAttr = {
  messagingSystem: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  consumerGroup: 'messaging.consumer.group.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  kafkaKey: 'messaging.kafka.message.key',
  conversationId: 'hub.conversation_id',
  recipient: 'hub.recipient',
  channel: 'hub.channel',
  attempt: 'hub.attempt',
  outcome: 'hub.outcome',
  deliveryId: 'hub.delivery_id',
  webhookId: 'hub.webhook_id',
  status: 'hub.status',
} as const;

/** The message a piece of work is about; the logger adds it to every line written inside (logger.ts). */
export interface MessageRef {
  message_id: string;
  conversation_id?: string;
}

const MESSAGE_KEY = createContextKey('hub.message');

export function withMessage(ctx: Context, ref: MessageRef): Context {
  return ctx.setValue(MESSAGE_KEY, ref);
}

export function activeMessage(ctx: Context = context.active()): MessageRef | undefined {
  return ctx.getValue(MESSAGE_KEY) as MessageRef | undefined;
}

/** Kafka producer span: `send {topic}` (messaging.operation.type `send`, which the conventions use where older versions said `publish`). */
export function startSendSpan(topic: string, attrs: Attributes = {}, parent: Context = context.active()): Span {
  return hubTracer().startSpan(
    `send ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        [SpanAttr.messagingSystem]: 'kafka',
        [SpanAttr.destination]: topic,
        [SpanAttr.operationType]: 'send',
        [SpanAttr.operationName]: 'send',
        ...attrs,
      },
    },
    parent,
  );
}

/** Kafka consumer span for one record: `process {topic}`, a child of the context the record carries. */
export function startProcessSpan(topic: string, group: string, parent: Context, attrs: Attributes = {}, links: Link[] = []): Span {
  return hubTracer().startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        [SpanAttr.messagingSystem]: 'kafka',
        [SpanAttr.destination]: topic,
        [SpanAttr.operationType]: 'process',
        [SpanAttr.operationName]: 'process',
        [SpanAttr.consumerGroup]: group,
        ...attrs,
      },
    },
    parent,
  );
}

/** A span of the hub's own, child of `parent`. */
export function startHubSpan(
  name: string,
  attrs: Attributes = {},
  parent: Context = context.active(),
  kind: SpanKind = SpanKind.INTERNAL,
  links: Link[] = [],
): Span {
  return hubTracer().startSpan(name, { kind, attributes: attrs, links }, parent);
}

/** Ends a span with an error status (message only: error details may carry user data). */
export function failSpan(span: Span, err: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}

/** Runs `fn` inside a new span that ends when it settles (error status on throw). */
export async function inSpan<T>(
  name: string,
  attrs: Attributes,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  const span = startHubSpan(name, attrs, parent, kind);
  try {
    const out = await context.with(trace.setSpan(parent, span), () => fn(span));
    span.end();
    return out;
  } catch (err) {
    failSpan(span, err);
    throw err;
  }
}

/** W3C `traceparent` of a context's span, to carry it where no headers go (Redis pushes, stored records). */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context a stored or pushed `traceparent` continues (root when absent or tracing is off). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** The span (or remote span) context of `ctx` as a link, when there is one. */
export function linkTo(ctx: Context): Link | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? { context: sc } : undefined;
}

/** trace_id and span_id of a context, for log lines and stored records. */
export function traceIds(ctx: Context = context.active()): { trace_id: string; span_id: string } | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : undefined;
}
