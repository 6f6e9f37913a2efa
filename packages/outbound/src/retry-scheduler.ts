import { makeEnvelope, newId, statusEvent, statusRecord, Topics, type ExternalChannel, type StoredMessage } from '@hub/domain';
import { inSpan, type EventPublisher } from '@hub/platform';
import type { DeadLetterStore } from './ports/dead-letter-store';
import type { OutboundLedger, LedgerEntry } from './ports/outbound-ledger';
import { DEAD_LETTER, deliveryId, RETRY_RECORD, type DeadLetter, type RetryReason, type RetryRecord } from './records';

export interface ScheduleRequest {
  message: StoredMessage;
  recipient: string;
  channel: ExternalChannel;
  /** Provider calls made so far. */
  attempts: number;
  /** The attempt the record will make when due. */
  nextAttempt: number;
  reason: RetryReason;
  delayMs: number;
  firstAttemptAt: Date;
  lastError?: string;
  /** No ledger entry exists yet (first try on the routing path). */
  fresh?: boolean;
  /** The open delivery of the lane this one waits behind. */
  prev?: string;
}

export interface DeadLetterRequest {
  message: StoredMessage;
  recipient: string;
  channel: ExternalChannel;
  attempts: number;
  reason: string;
  lastError: string;
  generation: number;
  firstAttemptAt: Date;
}

/**
 * Puts deliveries on hub.retry.v1 and hub.dlq.v1. The ledger is written
 * before the topic, so a crash in between leaves a schedule the sweeper
 * finds (overdue) rather than a record with no ledger entry; the record's
 * schedule_id lets exactly one record act on a schedule.
 */
export class RetryScheduler {
  constructor(private readonly deps: { ledger: OutboundLedger; deadLetters: DeadLetterStore; publisher: EventPublisher }) {}

  /** In a `schedule retry` span: the retry record it publishes carries that span's context, so the retry continues the trace. */
  scheduleRetry(req: ScheduleRequest): Promise<RetryRecord> {
    return inSpan(
      'schedule retry',
      {
        'messaging.message.id': req.message.message_id,
        'hub.channel': req.channel,
        'hub.attempt': req.nextAttempt,
        'hub.retry_reason': req.reason,
        'hub.retry_delay_ms': Math.round(req.delayMs),
      },
      () => this.schedule(req),
    );
  }

  private async schedule(req: ScheduleRequest): Promise<RetryRecord> {
    const scheduleId = newId();
    const notBefore = new Date(Date.now() + Math.max(0, Math.round(req.delayMs)));
    await this.deps.ledger.schedule({
      message: req.message,
      recipient: req.recipient,
      channel: req.channel,
      attempts: req.attempts,
      next_attempt: req.nextAttempt,
      schedule_id: scheduleId,
      next_at: notBefore,
      first_attempt_at: req.firstAttemptAt,
      queued: req.reason === 'queued',
      ...(req.fresh ? { fresh: true } : {}),
      ...(req.prev !== undefined ? { prev: req.prev } : {}),
      ...(req.lastError !== undefined ? { last_error: req.lastError } : {}),
    });
    const record: RetryRecord = {
      delivery_id: deliveryId(req.message.message_id, req.recipient, req.channel),
      message: req.message,
      recipient: req.recipient,
      channel: req.channel,
      attempt: req.nextAttempt,
      schedule_id: scheduleId,
      not_before: notBefore.toISOString(),
      reason: req.reason,
      ...(req.lastError !== undefined ? { last_error: req.lastError } : {}),
    };
    await this.publishRetry(record);
    return record;
  }

  /**
   * Publishes a record for the ledger's current schedule of an entry, due
   * now. Used to promote a queued delivery once the one before it ended: if
   * the entry is already being worked on, this record loses the claim and
   * is dropped, so the delivery still runs once.
   */
  async promote(entry: LedgerEntry): Promise<void> {
    if (!entry.message) return;
    await this.publishRetry({
      delivery_id: entry.delivery_id,
      message: entry.message,
      recipient: entry.recipient,
      channel: entry.channel,
      attempt: entry.next_attempt,
      schedule_id: entry.schedule_id,
      not_before: new Date().toISOString(),
      reason: 'queued',
    });
  }

  /**
   * Publishes the `retrying` status that reopens a failed delivery on
   * replay (the only change the status model allows after `failed`), so the
   * status API and webhooks follow the replayed delivery to its end.
   */
  async publishReopened(dl: DeadLetter, by: string, scheduleId: string, at: Date): Promise<void> {
    const m = dl.message;
    const event = statusEvent(m, {
      recipient: dl.recipient,
      channel: dl.channel,
      status: 'retrying',
      detail: `replayed by ${by}`,
      reopened: true,
      at,
    });
    await this.deps.publisher.publish(statusRecord(event, `replay:${scheduleId}`));
  }

  /** Re-publishes a record for an existing schedule (sweeper, replay). */
  async publishRetry(record: RetryRecord): Promise<void> {
    await this.deps.publisher.publish({
      topic: Topics.retry,
      key: record.message.conversation_id,
      envelope: makeEnvelope(RETRY_RECORD, record),
    });
  }

  /** Stores and publishes the dead letter, then ends the delivery as failed. Safe to repeat: one dead letter per delivery and generation. */
  async deadLetter(req: DeadLetterRequest): Promise<DeadLetter> {
    const stored = await this.deps.deadLetters.add({
      id: newId(),
      delivery_id: deliveryId(req.message.message_id, req.recipient, req.channel),
      message: req.message,
      recipient: req.recipient,
      channel: req.channel,
      attempts: req.attempts,
      reason: req.reason,
      last_error: req.lastError,
      failed_at: new Date().toISOString(),
      generation: req.generation,
    });
    await this.deps.publisher.publish({ topic: Topics.dlq, key: req.message.conversation_id, envelope: makeEnvelope(DEAD_LETTER, stored) });
    await this.deps.ledger.finish([
      {
        message: req.message,
        recipient: req.recipient,
        channel: req.channel,
        first_attempt_at: req.firstAttemptAt,
        state: 'failed',
        attempts: req.attempts,
        reason: req.reason,
        last_error: req.lastError,
      },
    ]);
    return stored;
  }
}
