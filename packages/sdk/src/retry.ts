/**
 * Retry schedule shared by the REST and WebSocket clients: exponential
 * backoff with full jitter, capped, and a server's Retry-After wins when
 * it asks for longer. Pure functions, so the schedule is unit-tested
 * without timers.
 */
export interface BackoffOptions {
  /** First delay before jitter, ms (default 250). */
  initialDelayMs?: number;
  /** Largest delay before jitter, ms (default 30 000). */
  maxDelayMs?: number;
  /** Growth per attempt (default 2). */
  multiplier?: number;
  /** Share of the delay that is randomised, 0..1 (default 0.5: the delay lies in [d/2, d]). */
  jitter?: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in total, the first included (default 4). 1 disables retries. */
  maxAttempts?: number;
  /** Longest Retry-After honoured, ms (default 60 000); a longer one ends the retries and the error is returned. */
  maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.5,
  maxAttempts: 4,
  maxRetryAfterMs: 60_000,
};

/**
 * Delay before retry number `retry` (0 = the first retry). `random` is
 * injectable for tests; it returns a value in [0, 1).
 */
export function backoffDelay(retry: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialDelayMs ?? DEFAULT_RETRY.initialDelayMs;
  const max = opts.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const multiplier = opts.multiplier ?? DEFAULT_RETRY.multiplier;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? DEFAULT_RETRY.jitter));
  const base = Math.min(max, initial * multiplier ** Math.max(0, retry));
  // Jitter spreads clients that failed together (a restart, an outage) so they do not come back in step.
  return Math.round(base * (1 - jitter) + base * jitter * random());
}

/**
 * Parses a Retry-After header (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date. Returns ms from `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date names its day and zone ("Sun, 06 Nov 1994 08:49:37 GMT"); a bare "-1" would parse as a year.
  if (!/GMT$/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** HTTP statuses worth retrying: the server says "not now" (429) or "a dependency is down" (503). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 503;
}

/**
 * The wait before the next attempt, or undefined when no attempt is left
 * or the server asks for a longer wait than we are willing to honour.
 * `attempt` is the number of attempts made so far (1 after the first).
 */
export function nextRetryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  opts: RetryOptions = {},
  random: () => number = Math.random,
): number | undefined {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  if (attempt >= maxAttempts) return undefined;
  const computed = backoffDelay(attempt - 1, opts, random);
  if (retryAfterMs === undefined) return computed;
  if (retryAfterMs > (opts.maxRetryAfterMs ?? DEFAULT_RETRY.maxRetryAfterMs)) return undefined;
  return Math.max(computed, retryAfterMs);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
