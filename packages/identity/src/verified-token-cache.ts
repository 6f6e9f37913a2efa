import { LRUCache } from 'lru-cache';
import type { Principal } from '@hub/domain';
import type { TokenVerifier, VerifiedToken } from '@hub/platform';

/** What the cache needs from AccessTokens: the full verification, with the token's expiry. */
export interface ExpiringTokenVerifier {
  verifyWithExpiry(token: string): Promise<VerifiedToken>;
}

export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;

/**
 * Remembers successful token verifications, keyed by the exact token
 * string, so a client presenting the same access token on every request
 * pays for the HMAC and claims parsing once (they were ~7% of frontend CPU
 * on POST /v1/messages). Only the signature and claims checks are skipped:
 * revocation, client and rate-limit checks run on every request after this.
 *
 * An entry never outlives its token: its lru-cache ttl ends at `exp`, and a
 * hit is checked against `exp` on the wall clock as well (the same test jose
 * applies), so an expired token goes back to the verifier, which rejects it
 * as expired. Failures are never cached; a token that differs in any
 * character is a different key and is verified afresh.
 */
export class VerifiedTokenCache implements TokenVerifier {
  private readonly cache: LRUCache<string, VerifiedToken & { expiresAtMs: number }>;

  constructor(
    private readonly tokens: ExpiringTokenVerifier,
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    // The exp check on every hit is the authoritative one, so lru-cache may read its
    // clock once a second (its default re-reads it, with a timer, every millisecond).
    this.cache = new LRUCache({ max: maxEntries, ttlResolution: 1_000 });
  }

  async verify(token: string): Promise<Principal> {
    const hit = this.cache.get(token);
    if (hit) {
      if (hit.expiresAtMs > this.now()) return hit.principal;
      this.cache.delete(token);
    }
    const { principal, expiresAtMs } = await this.tokens.verifyWithExpiry(token);
    const ttl = expiresAtMs === undefined ? 0 : Math.floor(expiresAtMs - this.now());
    // A token without exp (the hub never issues one) or in its last millisecond is not kept.
    if (expiresAtMs !== undefined && ttl > 0) {
      // Frozen: the same object is handed to every request that presents this token.
      this.cache.set(token, { principal: freeze(principal), expiresAtMs }, { ttl });
    }
    return principal;
  }

  get size(): number {
    return this.cache.size;
  }
}

function freeze(p: Principal): Principal {
  Object.freeze(p.scopes);
  return Object.freeze(p);
}
