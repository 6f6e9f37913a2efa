import type { Redis } from '@hub/platform';
import { claimOutcome, type ClaimOutcome, type MessageIdClaim, type MessageIdClaims } from '../ports/message-id-claims';

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
 * (neither contains a space); it expires after `ttlMs`, after which the
 * router's own check (a stored message with this id from someone else is
 * dead-lettered, not dropped) is what is left.
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
}

function parseClaim(value: string): MessageIdClaim {
  const at = value.lastIndexOf(' ');
  return { caller: value.slice(0, at), fingerprint: value.slice(at + 1) };
}
