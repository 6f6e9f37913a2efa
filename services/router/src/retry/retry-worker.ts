import { laneOf, RETRY_RECORD, RetryRecordSchema, type OutboundLedger, type RetryScheduler, type RetryRecord } from '@hub/outbound';
import { ConsumerGroups, statusEvent, Topics, type Status, type StoredMessage } from '@hub/domain';
import {
  failSpan,
  Gauge,
  SpanAttr,
  startProcessSpan,
  withMessage,
  type ConsumedRecord,
  type EventPublisher,
  type Infra,
  type Logger,
  type Registry,
} from '@hub/platform';
import { KafkaDelayedConsumer } from '../adapters/kafka-delayed-consumer';
import { PublishingStatusRecorder } from '../adapters/publishing-status-recorder';
import type { Outbound } from '../outbound/outbound';
import type { RouterOutboundConfig } from '../outbound/outbound-config';
import { attemptOutbound, type OutboundAttemptDeps } from '../outbound/outbound-attempt';
import type { OutboundSteps, Step } from '../outbound/outbound-steps';
import type { DelayedTopicConsumer } from '../ports/delayed-consumer';
import type { StatusRecorder } from '../ports/status-recorder';
import { context, trace } from '@opentelemetry/api';

export interface RetryWorkerDeps {
  consumer: DelayedTopicConsumer;
  ledger: OutboundLedger;
  scheduler: RetryScheduler;
  steps: OutboundSteps;
  attempt: OutboundAttemptDeps;
  status: StatusRecorder;
  logger: Logger;
  /** How long a claimed delivery is held before the sweeper may consider it lost (well above a connector call's deadline). */
  holdMs: number;
}

/**
 * The `retry` worker as main.ts runs it: hub.retry.v1 through a delayed
 * consumer (records wait in memory for their time), on the outbound parts
 * this process shares with `route`.
 */
export function createRetryWorker(deps: {
  kafka: NonNullable<Infra['kafka']>;
  publisher: EventPublisher;
  outbound: Outbound;
  config: RouterOutboundConfig;
  logger: Logger;
  registry: Registry;
}): RetryWorker {
  const { config, outbound } = deps;
  const consumer = new KafkaDelayedConsumer(
    deps.kafka,
    { groupId: ConsumerGroups.retry, topic: Topics.retry, maxHeld: config.OUTBOUND_RETRY_MAX_IN_MEMORY },
    deps.logger.child({ component: 'retry-consumer' }),
  );
  new Gauge({
    name: 'retry_queue_held',
    help: 'Retry records read and waiting in memory for their time',
    registers: [deps.registry],
    collect() {
      this.set(consumer.held());
    },
  });
  return new RetryWorker({
    consumer,
    ledger: outbound.ledger,
    scheduler: outbound.scheduler,
    steps: outbound.steps,
    attempt: outbound.attempt,
    status: new PublishingStatusRecorder(deps.publisher),
    logger: deps.logger.child({ worker: 'retry' }),
    // A claimed delivery is not "lost" while its connector call may still be running.
    holdMs: Math.max(config.OUTBOUND_SWEEP_GRACE_MS, config.CONNECTOR_TIMEOUT_MS * 3),
  });
}

/**
 * Re-drives deliveries from hub.retry.v1 when they fall due. Each record
 * first claims its schedule in the ledger (a duplicate or outdated record
 * loses and is dropped), then waits its turn in its lane, then tries the
 * connector again; the outcome is recorded as a status and, when the
 * delivery ended, the next queued delivery of its lane is promoted at once.
 */
export class RetryWorker {
  constructor(private readonly deps: RetryWorkerDeps) {}

  start(): Promise<void> {
    return this.deps.consumer.start({
      dueAt: (r) => {
        const at = Date.parse(String((r.envelope?.payload as { not_before?: unknown } | undefined)?.not_before));
        return Number.isFinite(at) ? at : Date.now();
      },
      lane: (r) => {
        const p = r.envelope?.payload as Partial<RetryRecord> | undefined;
        return p?.message && p.recipient && p.channel ? laneOf(p.message.conversation_id, p.recipient, p.channel) : `poison-${r.partition}`;
      },
      handle: (r) => this.handle(r),
    });
  }

  stop(): Promise<void> {
    return this.deps.consumer.stop();
  }

  /**
   * A retry continues its delivery's trace: `process hub.retry.v1` is a
   * CHILD of the context the record carries (the hand-over or retry that
   * scheduled it), so every attempt hangs under the message's one trace.
   */
  async handle(r: ConsumedRecord): Promise<void> {
    const p = r.envelope?.payload as Partial<RetryRecord> | undefined;
    const span = startProcessSpan(r.topic, 'retry', r.traceContext, {
      [SpanAttr.partition]: String(r.partition),
      [SpanAttr.offset]: r.offset,
      ...(p?.message?.message_id
        ? { [SpanAttr.messageId]: p.message.message_id, [SpanAttr.conversationId]: p.message.conversation_id }
        : {}),
      ...(typeof p?.attempt === 'number' ? { [SpanAttr.attempt]: p.attempt } : {}),
      ...(p?.channel ? { [SpanAttr.channel]: p.channel } : {}),
    });
    let ctx = trace.setSpan(r.traceContext, span);
    if (p?.message?.message_id) ctx = withMessage(ctx, { message_id: p.message.message_id, conversation_id: p.message.conversation_id });
    try {
      await context.with(ctx, () => this.handleIn(r));
      span.end();
    } catch (err) {
      failSpan(span, err);
      throw err;
    }
  }

  private async handleIn(r: ConsumedRecord): Promise<void> {
    const parsed = r.envelope?.type === RETRY_RECORD ? RetryRecordSchema.safeParse(r.envelope.payload) : undefined;
    if (!parsed?.success) {
      // Nothing can be done with it; dropping keeps the partition moving.
      this.deps.logger.warn(
        {
          partition: r.partition,
          offset: r.offset,
          reason: r.poison?.reason ?? parsed?.error.message ?? `unexpected type ${r.envelope?.type}`,
        },
        'dropping an unusable retry record',
      );
      return;
    }
    const record = parsed.data as unknown as RetryRecord;
    const entry = await this.deps.ledger.claim(record.delivery_id, record.schedule_id, this.deps.holdMs);
    if (!entry) return;
    const message = (entry.message ?? record.message) as StoredMessage;
    const ctx = {
      message,
      recipient: record.recipient,
      channel: record.channel,
      attempts: entry.attempts,
      firstAttemptAt: entry.first_attempt_at,
      generation: entry.generation,
      ...(entry.prev ? { prev: entry.prev } : {}),
    };

    if (entry.prev && (await this.deps.ledger.isOpen(entry.prev))) {
      await this.deps.steps.queue(ctx, entry.next_attempt);
      return;
    }
    const result = await attemptOutbound(this.deps.attempt, message, record.recipient, record.channel);
    const step = await this.deps.steps.afterAttempt(ctx, result);
    if (step.step === 'sent') {
      await this.deps.ledger.finish([
        {
          message,
          recipient: record.recipient,
          channel: record.channel,
          first_attempt_at: entry.first_attempt_at,
          state: 'delivered',
          attempts: entry.attempts + 1,
          external_id: step.externalId,
        },
      ]);
    }
    const status = statusOf(step, record.reason === 'replay');
    if (status)
      await this.deps.status.record([
        statusEvent(message, {
          recipient: record.recipient,
          channel: record.channel,
          ...status,
          externalId: step.step === 'sent' ? step.externalId : undefined,
          at: new Date(),
        }),
      ]);
    if (step.step === 'sent' || step.step === 'dead_letter') await this.promoteNext(record.delivery_id);
  }

  private async promoteNext(deliveryId: string): Promise<void> {
    try {
      const next = await this.deps.ledger.nextAfter(deliveryId);
      if (next?.queued) await this.deps.scheduler.promote(next);
    } catch (err) {
      // Only a shortcut: the queued delivery re-checks on its own schedule anyway.
      this.deps.logger.warn(
        { err: { message: (err as Error).message }, delivery_id: deliveryId },
        'could not promote the next delivery of a lane',
      );
    }
  }
}

/** Retries keep the recipient `retrying` (already recorded); only an end is a new status. */
function statusOf(step: Step, replay: boolean): { status: Status; detail?: string } | undefined {
  if (step.step === 'sent') return { status: 'sent', ...(replay ? { detail: 'replayed from the dead-letter queue' } : {}) };
  if (step.step === 'dead_letter') return { status: 'failed', detail: `${step.reason}: ${step.detail}` };
  return undefined;
}
