import { Redis } from 'ioredis';
import type { HealthCheck } from '../health';

export { Redis };

export interface RedisSettings {
  url: string;
  /** Prefix for every key and channel of this process (tests use a random one). */
  keyPrefix?: string;
}

/**
 * A Redis connection that fails fast: commands error after a short wait
 * instead of queueing forever while Redis is down, so callers can answer
 * 503 and readiness turns red.
 */
export function createRedis(s: RedisSettings): Redis {
  return new Redis(s.url, {
    keyPrefix: s.keyPrefix,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
    lazyConnect: false,
  });
}

export function redisHealthCheck(redis: Redis): HealthCheck {
  return {
    name: 'redis',
    check: async () => {
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`unexpected PING answer ${pong}`);
    },
  };
}
