import { describe, expect, it } from 'vitest';
import { backoffDelay, nextRetryDelay, parseRetryAfter } from '../src/index.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const noJitter = { initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 5].map((r) => backoffDelay(r, noJitter))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads the delay over [d·(1-jitter), d]', () => {
    const opts = { initialDelayMs: 1_000, jitter: 0.5 };
    expect(backoffDelay(0, opts, () => 0)).toBe(500);
    expect(backoffDelay(0, opts, () => 0.999999)).toBe(1_000);
    const samples = Array.from({ length: 200 }, () => backoffDelay(2, opts));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(4_000);
    expect(new Set(samples).size).toBeGreaterThan(50);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    expect(parseRetryAfter('Mon, 07 Dec 2026 10:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});

describe('nextRetryDelay', () => {
  const opts = { initialDelayMs: 100, jitter: 0, maxAttempts: 3, maxRetryAfterMs: 10_000 };

  it('stops after maxAttempts', () => {
    expect(nextRetryDelay(1, undefined, opts)).toBe(100);
    expect(nextRetryDelay(2, undefined, opts)).toBe(200);
    expect(nextRetryDelay(3, undefined, opts)).toBeUndefined();
  });

  it('waits at least as long as Retry-After asks', () => {
    expect(nextRetryDelay(1, 2_000, opts)).toBe(2_000);
    expect(nextRetryDelay(2, 50, opts)).toBe(200);
  });

  it('gives up when Retry-After is longer than it will wait', () => {
    expect(nextRetryDelay(1, 60_000, opts)).toBeUndefined();
  });
});
