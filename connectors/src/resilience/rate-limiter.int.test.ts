import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEnv } from '../../../test/support/stack-env';
import { FlexibleRateLimiter } from './rate-limiter';

describe('connector rate limits in Redis (real server)', () => {
  const redis = new Redis(stackEnv().REDIS_URL!);
  const prefix = `t-${randomUUID()}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('shares one budget between two workers and holds a recipient after a 429 for both', async () => {
    const policy = { overall: { points: 4, durationMs: 2_000 }, perRecipient: { points: 2, durationMs: 2_000 } };
    const a = new FlexibleRateLimiter('telegram', policy, { kind: 'redis', client: redis, keyPrefix: prefix });
    const b = new FlexibleRateLimiter('telegram', policy, { kind: 'redis', client: redis, keyPrefix: prefix });
    expect(await a.admit('chat-1')).toEqual({ admitted: true });
    expect(await b.admit('chat-1')).toEqual({ admitted: true });
    // The chat's budget (2) is spent across both workers.
    expect(await a.admit('chat-1')).toMatchObject({ admitted: false });
    expect(await b.admit('chat-2')).toEqual({ admitted: true });
    expect(await a.admit('chat-3')).toEqual({ admitted: true });
    // The overall budget (4) is spent; a refused overall call does not use up chat-4's own budget.
    expect(await b.admit('chat-4')).toMatchObject({ admitted: false });

    await a.blockRecipient('chat-9', 1_500);
    const held = await b.admit('chat-9');
    expect(held.admitted).toBe(false);
    expect((held as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(1_000);
    expect(await redis.keys(`${prefix}connector:telegram:*`)).not.toHaveLength(0);
  });
});
