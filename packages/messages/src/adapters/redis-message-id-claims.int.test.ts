import { randomUUID } from 'node:crypto';
import { createRedis } from '@hub/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEnv } from '../../../../test/support/stack-env';
import { eventually } from '../../../../test/support/spawn-service';
import { RedisMessageIdClaims } from './redis-message-id-claims';

describe('RedisMessageIdClaims (real Redis)', () => {
  const redis = createRedis({ url: stackEnv().REDIS_URL!, keyPrefix: `t-${randomUUID()}:` });
  // A second connection, as a second frontend or presence node has: the claim is decided in Redis, not in a process.
  const other = createRedis({ url: stackEnv().REDIS_URL!, keyPrefix: redis.options.keyPrefix as string });
  afterAll(() => {
    redis.disconnect();
    other.disconnect();
  });

  it('of many callers racing for one id from two connections, exactly one claims it; the rest find it taken', async () => {
    const a = new RedisMessageIdClaims(redis, 60_000);
    const b = new RedisMessageIdClaims(other, 60_000);
    const id = randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(id, { caller: `user:u${i}`, fingerprint: 'f' })),
    );
    expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'taken')).toHaveLength(39);
    const winner = outcomes.indexOf('claimed');
    expect(await a.claim(id, { caller: `user:u${winner}`, fingerprint: 'f' })).toBe('repeat');
    expect(await b.claim(id, { caller: `user:u${winner}`, fingerprint: 'g' })).toBe('mismatch');
  });

  it('a claim expires after its TTL, and its key carries it', async () => {
    const claims = new RedisMessageIdClaims(redis, 300);
    const id = randomUUID();
    expect(await claims.claim(id, { caller: 'client:crm', fingerprint: 'f' })).toBe('claimed');
    const ttl = await redis.pttl(`msgid:${id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    await eventually(async () => (await redis.exists(`msgid:${id}`)) === 0, { what: 'the claim to expire', timeoutMs: 5_000 });
    expect(await claims.claim(id, { caller: 'user:someone-else', fingerprint: 'f' })).toBe('claimed');
  });

  it("hold sets the stored message's owner over whatever was claimed, with a fresh TTL", async () => {
    const claims = new RedisMessageIdClaims(redis, 60_000);
    const id = randomUUID();
    expect(await claims.claim(id, { caller: 'user:mallory', fingerprint: 'f' })).toBe('claimed');
    await claims.hold(id, 'user:alice');
    expect(await redis.get(`msgid:${id}`)).toBe('user:alice stored');
    expect(await redis.pttl(`msgid:${id}`)).toBeGreaterThan(59_000);
    expect(await claims.claim(id, { caller: 'user:mallory', fingerprint: 'f' })).toBe('taken_stored');
    expect(await claims.claim(id, { caller: 'user:alice', fingerprint: 'g' })).toBe('repeat');
  });

  it('rejects, rather than answering, when Redis is unreachable', async () => {
    const down = createRedis({ url: 'redis://127.0.0.1:1' });
    down.on('error', () => {});
    try {
      await expect(new RedisMessageIdClaims(down, 60_000).claim(randomUUID(), { caller: 'user:a', fingerprint: 'f' })).rejects.toThrow();
    } finally {
      down.disconnect();
    }
  }, 15_000);
});
