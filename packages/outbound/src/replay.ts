import { newId } from '@hub/domain';
import type { RetryScheduler } from './retry-scheduler';
import type { DeadLetterStore } from './ports/dead-letter-store';
import type { OutboundLedger } from './ports/outbound-ledger';
import type { DeadLetter } from './records';

export type ReplayResult = { outcome: 'replayed' | 'already_replayed'; deadLetter: DeadLetter };

/**
 * Re-drives one dead letter from attempt 1, at most once however often it
 * is asked: the dead letter is marked replayed first (atomically), and only
 * the call that marked it reopens the delivery and publishes its retry
 * record. The retry worker looks the recipient's mapping up again, so a
 * fixed mapping takes effect. If publishing fails after the mark, the
 * reopened ledger entry is overdue and the sweeper publishes it.
 */
export async function replayDeadLetter(
  id: string,
  by: string,
  deps: { deadLetters: DeadLetterStore; ledger: OutboundLedger; scheduler: RetryScheduler },
): Promise<ReplayResult | undefined> {
  const marked = await deps.deadLetters.markReplayed(id, by, new Date());
  if (!marked) return undefined;
  const dl = marked.deadLetter;
  if (!marked.first) return { outcome: 'already_replayed', deadLetter: dl };
  const scheduleId = newId();
  const now = new Date();
  const entry = await deps.ledger.reopen(dl.delivery_id, dl.message, scheduleId, now);
  // Not failed any more (a concurrent replay of an older dead letter of the same delivery reopened it): nothing to publish.
  if (entry) {
    // Reopen the status first: the retry's own `sent` or `failed` must come after it.
    await deps.scheduler.publishReopened(dl, by, scheduleId, now);
    await deps.scheduler.publishRetry({
      delivery_id: dl.delivery_id,
      message: dl.message,
      recipient: dl.recipient,
      channel: dl.channel,
      attempt: 1,
      schedule_id: scheduleId,
      not_before: now.toISOString(),
      reason: 'replay',
    });
  }
  return { outcome: 'replayed', deadLetter: dl };
}
