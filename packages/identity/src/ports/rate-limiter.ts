/** Where a key stands in its current window. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/**
 * Port: fixed-window request counters shared by every instance. Each key
 * has its own window; `limit` may differ per key (per-client overrides).
 * Rejects with TransientError when the counter store is unreachable.
 */
export interface RateLimiter {
  /** Counts one request against the key. */
  consume(key: string, limit: number): Promise<RateDecision>;
  /** Where the key stands, without counting. */
  peek(key: string, limit: number): Promise<RateDecision>;
  reset(key: string): Promise<void>;
}
