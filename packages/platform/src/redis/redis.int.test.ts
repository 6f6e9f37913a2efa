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

  it('auto-pipelines concurrent commands, each with its own reply or error, under the key prefix', async () => {
    expect(redis.options.enableAutoPipelining).toBe(true);
    const sets = Array.from({ length: 20 }, (_, i) => redis.set(`ap:${i}`, String(i)));
    // Issued in one turn: queued for one write rather than sent one by one.
    expect(redis.autoPipelineQueueSize).toBeGreaterThan(0);
    await Promise.all(sets);
    await redis.set('ap:text', 'abc');
    const [bad, good] = await Promise.allSettled([redis.incr('ap:text'), redis.get('ap:7')]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('not an integer') } });
    expect(good).toEqual({ status: 'fulfilled', value: '7' });
    const raw = createRedis({ url: stackEnv().REDIS_URL!, autoPipelining: false });
    try {
      expect(await raw.get(`${redis.options.keyPrefix}ap:19`)).toBe('19');
    } finally {
      raw.disconnect();
    }
  });

  it('scripts (defineCommand, as rate-limiter-flexible uses) and MULTI work alongside the batches', async () => {
    redis.defineCommand('apIncrTtl', {
      numberOfKeys: 1,
      lua: "local n = redis.call('incr', KEYS[1]) redis.call('pexpire', KEYS[1], ARGV[1]) return {n, KEYS[1]}",
    });
    const call = (key: string) =>
      (redis as unknown as { apIncrTtl(k: string, ms: number): Promise<[number, string]> }).apIncrTtl(key, 60_000);
    const [a, b, multi] = await Promise.all([call('ap:count'), call('ap:count'), redis.multi().set('ap:m', 'x').get('ap:m').exec()]);
    expect([a[0], b[0]].sort()).toEqual([1, 2]);
    expect(a[1]).toBe(`${redis.options.keyPrefix}ap:count`);
    expect(multi).toEqual([
      [null, 'OK'],
      [null, 'x'],
    ]);
  });

  it('a subscriber connection without auto-pipelining receives what the pipelined client publishes', async () => {
    const sub = createRedis({ url: stackEnv().REDIS_URL!, autoPipelining: false });
    try {
      expect(sub.options.enableAutoPipelining).toBe(false);
      const channel = `t-${randomUUID()}`;
      const got = new Promise<string>((resolve) => sub.on('message', (_ch: string, m: string) => resolve(m)));
      await sub.subscribe(channel);
      await redis.publish(channel, 'hello');
      expect(await got).toBe('hello');
    } finally {
      sub.disconnect();
    }
  });
});
