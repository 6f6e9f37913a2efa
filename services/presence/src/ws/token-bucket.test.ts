import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket';

describe('token bucket', () => {
  it('allows a burst, then refuses until time refills it at the rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(50)).toBe(false);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
  });
  it('never holds more than the burst however long it idles', () => {
    const b = new TokenBucket(10, 2, 0);
    const taken = [b.take(1e6), b.take(1e6), b.take(1e6)];
    expect(taken).toEqual([true, true, false]);
  });
});
