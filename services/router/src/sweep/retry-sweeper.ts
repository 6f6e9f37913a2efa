import { newId } from '@hub/domain';
import type { OutboundLedger, RetryScheduler } from '@hub/outbound';
import type { Logger } from '@hub/platform';

/**
 * Finds external deliveries whose schedule was lost (a crash between
 * writing the ledger and publishing the retry record, or a worker that died
 * holding a claim) and publishes them again: the `sweep` worker. Every
 * router process that runs it sweeps; the ledger lets one sweeper take each
 * entry.
 */
export class RetrySweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly deps: { ledger: OutboundLedger; scheduler: RetryScheduler; logger: Logger; intervalMs: number; graceMs: number },
  ) {}

  start(): Promise<void> {
    this.timer = setInterval(() => {
      this.running ??= this.sweepOnce()
        .catch((err: unknown) => this.deps.logger.warn({ err: { message: (err as Error).message } }, 'retry sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.deps.intervalMs);
    this.timer.unref();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; resolves with how many deliveries it re-published. */
  async sweepOnce(): Promise<number> {
    const now = new Date();
    let count = 0;
    for (const entry of await this.deps.ledger.overdue(now, this.deps.graceMs, 200)) {
      if (!entry.message) continue;
      const scheduleId = newId();
      if (!(await this.deps.ledger.resweep(entry.delivery_id, entry.next_at, scheduleId, now))) continue;
      await this.deps.scheduler.publishRetry({
        delivery_id: entry.delivery_id,
        message: entry.message,
        recipient: entry.recipient,
        channel: entry.channel,
        attempt: entry.next_attempt,
        schedule_id: scheduleId,
        not_before: now.toISOString(),
        reason: 'sweep',
      });
      count++;
    }
    if (count > 0) this.deps.logger.info({ count }, 'republished retry schedules lost in a crash');
    return count;
  }
}
