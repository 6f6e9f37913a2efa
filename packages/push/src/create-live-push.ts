import type { Logger, Redis } from '@hub/platform';
import { RedisNodeBus } from './adapters/redis-node-bus';
import { RedisPresenceStore } from './adapters/redis-presence-store';
import { Fanout } from './fanout';
import { LivePush } from './live-push';

/**
 * The router's hand-over for channel `internal`: live push, built from the router's
 * own Redis connections (`redis` with REDIS_KEY_PREFIX as its key prefix,
 * `keyPrefix` the same value for the node channels).
 */
export function createLivePush(d: { redis: Redis; redisSub: Redis; keyPrefix: string; logger: Logger }): LivePush {
  // Lookups read entries by their expiry score; the TTL only matters to the nodes that write them.
  const store = new RedisPresenceStore(d.redis, { ttlMs: 300_000 });
  return new LivePush(new Fanout(store, new RedisNodeBus(d.redis, d.redisSub, d.keyPrefix, d.logger)));
}
