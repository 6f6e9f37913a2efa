import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff';

describe('retry backoff', () => {
  const policy = { baseMs: 1_000, maxAttempts: 5, jitter: 0.2 };

  it('doubles from 1 s: 1, 2, 4, 8 s before attempts 2 to 5', () => {
    expect([2, 3, 4, 5].map((a) => backoffDelayMs({ ...policy, jitter: 0 }, a))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('spreads each delay within ±jitter', () => {
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(1_600);
    expect(backoffDelayMs(policy, 3, () => 0.999_999)).toBe(2_400);
    const draws = Array.from({ length: 200 }, () => backoffDelayMs(policy, 5));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(6_400);
    expect(Math.max(...draws)).toBeLessThanOrEqual(9_600);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });
});
