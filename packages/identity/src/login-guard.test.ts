import { describe, expect, it } from 'vitest';
import { LoginGuard } from './login-guard';
import type { RateDecision, RateLimiter } from './ports/rate-limiter';

/** Fixed-window counters in memory, one window for the whole test. */
class CountingLimiter implements RateLimiter {
  readonly counts = new Map<string, number>();
  consume(key: string, limit: number): Promise<RateDecision> {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return Promise.resolve({ allowed: n <= limit, limit, remaining: Math.max(0, limit - n), resetMs: 60_000 });
  }
  peek(key: string, limit: number): Promise<RateDecision> {
    const n = this.counts.get(key) ?? 0;
    return Promise.resolve({ allowed: n < limit, limit, remaining: Math.max(0, limit - n), resetMs: 60_000 });
  }
  reset(key: string): Promise<void> {
    this.counts.delete(key);
    return Promise.resolve();
  }
}

function guard(slowdownAfter = 100) {
  const slept: number[] = [];
  const perAddress = new CountingLimiter();
  const perAccount = new CountingLimiter();
  const g = new LoginGuard(perAddress, perAccount, { maxFailuresPerAddress: 3, slowdownAfter, slowdownMs: 1_500 }, (ms) => {
    slept.push(ms);
    return Promise.resolve();
  });
  return { g, slept, perAddress, perAccount };
}

describe('LoginGuard', () => {
  it('locks the guessing address out of the account, not the owner at another address', async () => {
    const { g } = guard();
    for (let i = 0; i < 3; i++) {
      expect(await g.admit('user:ann', '203.0.113.9')).toEqual({ admitted: true, slowedMs: 0 });
      await g.failed('user:ann', '203.0.113.9');
    }
    expect(await g.admit('user:ann', '203.0.113.9')).toMatchObject({ admitted: false, decision: { allowed: false, remaining: 0 } });
    expect(await g.admit('user:ann', '198.51.100.7')).toEqual({ admitted: true, slowedMs: 0 });
    // The same address is not locked out of other accounts.
    expect(await g.admit('user:bob', '203.0.113.9')).toEqual({ admitted: true, slowedMs: 0 });
  });

  it("a success clears its own address's failures only", async () => {
    const { g, perAddress, perAccount } = guard();
    await g.failed('user:ann', 'a');
    await g.failed('user:ann', 'b');
    await g.succeeded('user:ann', 'a');
    expect(perAddress.counts.get('user:ann@a')).toBeUndefined();
    expect(perAddress.counts.get('user:ann@b')).toBe(1);
    expect(perAccount.counts.get('user:ann')).toBe(2);
  });

  it('slows every attempt on an account guessed at from many addresses, but never refuses a fresh address', async () => {
    const { g, slept } = guard(5);
    const crossed: boolean[] = [];
    for (let i = 0; i < 6; i++) crossed.push((await g.failed('user:ann', `10.0.0.${i}`)).slowingDown);
    expect(crossed).toEqual([false, false, false, false, true, false]);
    expect(await g.admit('user:ann', '198.51.100.7')).toEqual({ admitted: true, slowedMs: 1_500 });
    expect(slept).toEqual([1_500]);
    expect(await g.admit('user:bob', '198.51.100.7')).toEqual({ admitted: true, slowedMs: 0 });
  });

  it('bounds the address text that becomes part of a counter key', async () => {
    const { g, perAddress } = guard();
    await g.failed('user:ann', 'x'.repeat(10_000));
    expect([...perAddress.counts.keys()][0]!.length).toBeLessThan(100);
  });
});
