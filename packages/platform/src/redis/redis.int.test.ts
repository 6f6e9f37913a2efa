import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEnv } from '../../../../test/support/stack-env';
import { eventually } from '../../../../test/support/spawn-service';
import { RedisExpiringStore } from './expiring-store';
import { createRedis, redisHealthCheck } from './redis';

describe('redis client module (real Redis)', () => {
  const redis = createRedis({ url: stackEnv().REDIS_URL!, keyPrefix: `t-${randomUUID()}:` });
  const store = new RedisExpiringStore(redis);
  afterAll(() => redis.disconnect());

  it('a key with a TTL expires by itself', async () => {
    expect(await store.set('session', 'v1', 300)).toBe(true);
    expect(await store.get('session')).toBe('v1');
    const ttl = await store.ttlMs('session');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    await eventually(async () => (await store.get('session')) === undefined, { what: 'key to expire', timeoutMs: 5_000 });
    expect(await store.ttlMs('session')).toBeUndefined();
  });

  it('set-if-absent lets only the first writer in', async () => {
    expect(await store.set('once', 'a', 10_000, { onlyIfAbsent: true })).toBe(true);
    expect(await store.set('once', 'b', 10_000, { onlyIfAbsent: true })).toBe(false);
    expect(await store.get('once')).toBe('a');
  });

  it('health check answers', async () => {
    await expect(redisHealthCheck(redis).check()).resolves.toBeUndefined();
  });
});
