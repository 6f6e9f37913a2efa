import type { Redis } from 'ioredis';
import type { RefreshTokenRecord, RefreshTokenStore, RefreshTokenUse } from '../ports/refresh-token-store';

// Marks the token used and returns its fields with the previous used flag,
// in one step, so concurrent rotations of the same token see exactly one "fresh".
const USE_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'family', 'username', 'scope', 'used')
if not fields[1] then return nil end
redis.call('HSET', KEYS[1], 'used', '1')
return fields
`;

type WithUse = Redis & { hubRefreshUse(key: string): Promise<Array<string | null> | null> };

/** Adapter: RefreshTokenStore on Redis, one hash per token digest (`refresh:<sha256>`), expiring with the token. */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly redis: Redis) {
    if (!(redis as unknown as Partial<WithUse>).hubRefreshUse) redis.defineCommand('hubRefreshUse', { numberOfKeys: 1, lua: USE_SCRIPT });
  }

  async save(tokenHash: string, record: RefreshTokenRecord, ttlMs: number): Promise<void> {
    const key = `refresh:${tokenHash}`;
    await this.redis
      .multi()
      .hset(key, { family: record.family, username: record.username, scope: record.scope, used: '0' })
      .pexpire(key, ttlMs)
      .exec();
  }

  async use(tokenHash: string): Promise<RefreshTokenUse> {
    const fields = await (this.redis as unknown as WithUse).hubRefreshUse(`refresh:${tokenHash}`);
    if (!fields || !fields[0] || !fields[1]) return { state: 'unknown' };
    const record: RefreshTokenRecord = { family: fields[0], username: fields[1], scope: fields[2] ?? '' };
    return fields[3] === '1' ? { state: 'reused', record } : { state: 'fresh', record };
  }
}
