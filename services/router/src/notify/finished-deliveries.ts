import type { Logger } from '@hub/platform';
import type { AttemptRecord, WebhookDeliveryRecord, WebhookDeliveryStore } from '@hub/webhooks';
import { CoalescingWriter } from './coalescing-writer';

/** Finished deliveries taken off the queue in one delete once this many wait, or after FLUSH_MS. */
const FLUSH_COUNT = 500;
const FLUSH_MS = 200;

/**
 * Batched finishing: a finished delivery is written to the log at once
 * (coalesced with the others finishing meanwhile: one insert for all that
 * finished during the previous one), and taken off the queue in batches
 * (one delete instead of one per delivery).
 */
export class FinishedDeliveries {
  private readonly log: CoalescingWriter<WebhookDeliveryRecord>;
  private ids: Array<{ delivery_id: string; finished_at: Date }> = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<WebhookDeliveryStore, 'finish' | 'dequeue'>,
    private readonly logger: Logger,
  ) {
    this.log = new CoalescingWriter((records) => store.finish(records));
  }

  /** Writes the finished delivery to the log (resolves once written) and queues its removal from the queue. */
  async finish(
    d: WebhookDeliveryRecord,
    state: 'succeeded' | 'failed',
    now: Date,
    how: { attempt?: AttemptRecord; error?: string },
  ): Promise<void> {
    await this.log.write(finishedRecord(d, state, now, how));
    this.ids.push({ delivery_id: d.delivery_id, finished_at: now });
    if (this.ids.length >= FLUSH_COUNT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Finished here but still on the queue (the recovery scan must not claim it again). */
  awaitsRemoval(deliveryId: string): boolean {
    return this.ids.some((f) => f.delivery_id === deliveryId);
  }

  /** Takes what finished off the queue now; resolves when every removal so far is done. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const ids = this.ids;
    this.ids = [];
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.store.dequeue(ids).catch((err: unknown) => {
        // Left on the queue: whoever claims one later finds it in the log and removes it then.
        this.logger.warn(
          { err: { message: (err as Error).message }, count: ids.length },
          'could not take finished webhook deliveries off the queue',
        );
      }),
    );
    return this.flushing;
  }
}

/** The delivery as logged when it ends: its attempts, the last status code and error, no retry flag. */
export function finishedRecord(
  d: WebhookDeliveryRecord,
  state: 'succeeded' | 'failed',
  now: Date,
  how: { attempt?: AttemptRecord; error?: string },
): WebhookDeliveryRecord {
  const attempts = how.attempt ? [...d.attempts, how.attempt] : d.attempts;
  const last = how.attempt;
  const record: WebhookDeliveryRecord = { ...d, state, attempts, attempt_count: attempts.length, updated_at: now, completed_at: now };
  delete record.manual_retry;
  delete record.last_status_code;
  delete record.last_error;
  if (last?.status_code !== undefined) record.last_status_code = last.status_code;
  const error = last ? last.error : how.error;
  if (error) record.last_error = error;
  return record;
}
