import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE_MS, maxAttempts, nextRetryDelay, parseRetrySchedule } from './retry-schedule';

describe('retry schedule', () => {
  const policy = { delaysMs: DEFAULT_RETRY_SCHEDULE_MS, jitter: 0 };

  it('follows the schedule and then gives up', () => {
    expect(maxAttempts(policy)).toBe(8);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => nextRetryDelay(policy, n))).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    expect(nextRetryDelay(policy, 8)).toBeUndefined();
    expect(nextRetryDelay(policy, 0)).toBeUndefined();
  });

  it('spreads each wait by the jitter fraction', () => {
    const jittered = { delaysMs: [10_000], jitter: 0.2 };
    expect(nextRetryDelay(jittered, 1, undefined, () => 0)).toBe(8_000);
    expect(nextRetryDelay(jittered, 1, undefined, () => 1)).toBe(12_000);
    expect(nextRetryDelay(jittered, 1, undefined, () => 0.5)).toBe(10_000);
  });

  it('honours a longer Retry-After, capped at the longest delay', () => {
    const p = { delaysMs: [1_000, 60_000], jitter: 0 };
    expect(nextRetryDelay(p, 1, 30_000)).toBe(30_000);
    expect(nextRetryDelay(p, 1, 500)).toBe(1_000);
    expect(nextRetryDelay(p, 1, 3_600_000)).toBe(60_000);
  });

  it('parses the config value', () => {
    expect(parseRetrySchedule('50, 100,200')).toEqual([50, 100, 200]);
    expect(parseRetrySchedule('')).toEqual([]);
    expect(() => parseRetrySchedule('5s,10')).toThrow(/"5s"/);
  });
});
