/**
 * When to try again after a failed attempt. `delaysMs[i]` is the wait after
 * the (i+1)-th failure; an event gets delaysMs.length + 1 attempts. Each
 * delay is spread by ±jitter (a fraction) so that receivers coming back
 * after an outage are not hit by every queued retry at once.
 *
 * Default, after the schedule of Standard Webhooks senders: immediately,
 * then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 8 attempts over about
 * 28 hours.
 */
export interface RetryPolicy {
  delaysMs: readonly number[];
  jitter: number;
}

export const DEFAULT_RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;

export function maxAttempts(policy: RetryPolicy): number {
  return policy.delaysMs.length + 1;
}

/**
 * The wait before the next attempt after `failedAttempts` failures, or
 * undefined when the schedule is used up. A receiver's Retry-After is
 * honoured when it asks for longer, capped at the schedule's longest delay.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  failedAttempts: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | undefined {
  if (failedAttempts < 1 || failedAttempts > policy.delaysMs.length) return undefined;
  const base = policy.delaysMs[failedAttempts - 1]!;
  const spread = base * policy.jitter * (2 * random() - 1);
  let delay = Math.max(0, Math.round(base + spread));
  if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, Math.max(...policy.delaysMs)));
  return delay;
}

/** Parses "5000,300000,…" (milliseconds); throws naming the bad entry. */
export function parseRetrySchedule(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 1 && parts[0] === '') return [];
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`${JSON.stringify(p)} is not a number of milliseconds`);
    return Number(p);
  });
}
