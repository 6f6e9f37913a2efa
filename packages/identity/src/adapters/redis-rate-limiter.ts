import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TransientError } from '@hub/domain';
import type { RateDecision, RateLimiter } from '../ports/rate-limiter';

export interface RedisRateLimiterSettings {
  /** Distinguishes counter families (`api`, `login-ip`, …) inside the Redis key space. */
  name: string;
  windowSeconds: number;
}

/**
 * Adapter: RateLimiter on Redis with rate-limiter-flexible (an atomic
 * INCR+TTL script per request), so the limit holds across instances. One
 * limiter object per distinct limit, since per-client overrides differ.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly byLimit = new Map<number, RateLimiterRedis>();

  constructor(
    private readonly redis: Redis,
    private readonly s: RedisRateLimiterSettings,
  ) {}

  async consume(key: string, limit: number): Promise<RateDecision> {
    try {
      const res = await this.limiter(limit).consume(key, 1);
      return decision(true, limit, res);
    } catch (err) {
      if (err instanceof RateLimiterRes) return decision(false, limit, err);
      throw new TransientError(`rate limiter store unavailable: ${(err as Error).message}`, 1_000, { cause: err });
    }
  }

  async peek(key: string, limit: number): Promise<RateDecision> {
    let res: RateLimiterRes | null;
    try {
      res = await this.limiter(limit).get(key);
    } catch (err) {
      throw new TransientError(`rate limiter store unavailable: ${(err as Error).message}`, 1_000, { cause: err });
    }
    if (!res) return { allowed: true, limit, remaining: limit, resetMs: this.s.windowSeconds * 1000 };
    return {
      allowed: res.consumedPoints < limit,
      limit,
      remaining: Math.max(0, limit - res.consumedPoints),
      resetMs: Math.max(0, res.msBeforeNext),
    };
  }

  async reset(key: string): Promise<void> {
    try {
      await this.limiter(1).delete(key);
    } catch (err) {
      throw new TransientError(`rate limiter store unavailable: ${(err as Error).message}`, 1_000, { cause: err });
    }
  }

  private limiter(limit: number): RateLimiterRedis {
    let l = this.byLimit.get(limit);
    if (!l) {
      // keyPrefix is per family, not per limit: a client whose override changes keeps its current window.
      l = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: `rl:${this.s.name}`,
        points: limit,
        duration: this.s.windowSeconds,
        rejectIfRedisNotReady: true,
      });
      this.byLimit.set(limit, l);
    }
    return l;
  }
}

function decision(allowed: boolean, limit: number, res: RateLimiterRes): RateDecision {
  return { allowed, limit, remaining: Math.max(0, res.remainingPoints), resetMs: Math.max(0, res.msBeforeNext) };
}
