import type { Redis } from '@hub/platform';
import { claimOutcome, STORED_FINGERPRINT, type ClaimOutcome, type MessageIdClaim, type MessageIdClaims } from '../ports/message-id-claims';

/** Redis key of a claimed message id (under the connection's key prefix). */
const KEY = (messageId: string) => `msgid:${messageId}`;

// GET-or-SET in one script: one round trip on the accept path, and atomic,
// so of two callers racing for an id exactly one finds it free.
const CLAIM_SCRIPT = `
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

type ClaimingRedis = Redis & { hubClaimMessageId(key: string, value: string, ttlMs: number): Promise<string | null> };

/**
 * Adapter: MessageIdClaims on Redis. The value is `<caller> <fingerprint>`
 * (neither contains a space); it expires after `ttlMs` (or is lost with
 * Redis), after which the accept path finds the owner in the message store
 * and sets it back with `hold`.
 */
export class RedisMessageIdClaims implements MessageIdClaims {
  private readonly redis: ClaimingRedis;

  constructor(
    redis: Redis,
    private readonly ttlMs: number,
  ) {
    if (!('hubClaimMessageId' in redis)) redis.defineCommand('hubClaimMessageId', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    this.redis = redis as ClaimingRedis;
  }

  async claim(messageId: string, mine: MessageIdClaim): Promise<ClaimOutcome> {
    const held = await this.redis.hubClaimMessageId(KEY(messageId), `${mine.caller} ${mine.fingerprint}`, this.ttlMs);
    return claimOutcome(held === null ? undefined : parseClaim(held), mine);
  }

  async hold(messageId: string, owner: string): Promise<void> {
    await this.redis.set(KEY(messageId), `${owner} ${STORED_FINGERPRINT}`, 'PX', this.ttlMs);
  }
}

function parseClaim(value: string): MessageIdClaim {
  const at = value.lastIndexOf(' ');
  return { caller: value.slice(0, at), fingerprint: value.slice(at + 1) };
}
