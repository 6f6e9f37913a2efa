export interface BackoffPolicy {
  /** Delay before the second attempt; each further attempt doubles it (1 s, 2 s, 4 s, 8 s). */
  baseMs: number;
  /** Provider attempts in all, the first one included. */
  maxAttempts: number;
  /** Spread (0..1): each delay is drawn from ±jitter around its nominal value, so retries of many deliveries do not arrive in lock-step. */
  jitter: number;
}

/** Delay before attempt `nextAttempt` (2, 3, …), jittered. `random` is injectable for tests. */
export function backoffDelayMs(policy: BackoffPolicy, nextAttempt: number, random: () => number = Math.random): number {
  const nominal = policy.baseMs * 2 ** Math.max(0, nextAttempt - 2);
  const spread = nominal * policy.jitter;
  return Math.max(0, Math.round(nominal - spread + random() * 2 * spread));
}
