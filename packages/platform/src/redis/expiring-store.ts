import type { Redis } from 'ioredis';

/**
 * Port: short-lived keyed state that expires by itself (idempotency keys,
 * refresh tokens, presence). Redis implements it; TTLs are enforced by the
 * store, not by the caller's clock.
 */
export interface ExpiringStore {
  /** Sets the value with a TTL; with `onlyIfAbsent`, returns false when the key already existed. */
  set(key: string, value: string, ttlMs: number, opts?: { onlyIfAbsent?: boolean }): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
  ttlMs(key: string): Promise<number | undefined>;
}

/** Adapter: ExpiringStore on Redis. */
export class RedisExpiringStore implements ExpiringStore {
  constructor(private readonly redis: Redis) {}

  async set(key: string, value: string, ttlMs: number, opts: { onlyIfAbsent?: boolean } = {}): Promise<boolean> {
    const res = opts.onlyIfAbsent ? await this.redis.set(key, value, 'PX', ttlMs, 'NX') : await this.redis.set(key, value, 'PX', ttlMs);
    return res === 'OK';
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async ttlMs(key: string): Promise<number | undefined> {
    const ttl = await this.redis.pttl(key);
    return ttl < 0 ? undefined : ttl;
  }
}
