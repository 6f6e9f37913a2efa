import type { Context, MiddlewareHandler } from 'hono';
import { isTransient, principalRef, type Principal } from '@hub/domain';
import {
  bearer,
  ProblemError,
  verifyOrThrow,
  type AccessTokens,
  type AuthVariables,
  type Logger,
  type SessionRevocations,
} from '@hub/platform';
import type { RateDecision, RateLimiter } from './ports/rate-limiter';
import type { ApiClient } from './records';
import { DEFAULT_TOKEN_CACHE_SIZE, VerifiedTokenCache } from './verified-token-cache';

/** What the auth path needs to know about API clients (WatchedIdentityDirectory provides it from its cache). */
export interface ClientLookup {
  resolveClient(clientId: string): Promise<ApiClient | undefined>;
}

export interface AuthStackDeps {
  tokens: AccessTokens;
  revocations: SessionRevocations;
  clients: ClientLookup;
  rateLimiter: RateLimiter;
  /** Verified tokens remembered (TOKEN_CACHE_SIZE; default 10 000, 0 verifies every request afresh). */
  tokenCacheSize?: number;
  /** Requests per minute per user or client unless the client has its own limit. */
  defaultLimitPerMin: number;
  /** Where store failures (answered 503) are logged. */
  logger?: Logger;
}

export interface AuthStack {
  /** authenticate → (clients) still exists → rate limit; sets `principal` and RateLimit-* headers. */
  middleware: MiddlewareHandler<{ Variables: AuthVariables }>;
  /**
   * The same checks for a raw token (the WebSocket handshake): resolves the
   * principal, or rejects with a ProblemError (401, 429 or 503).
   */
  authenticateToken(token: string | undefined): Promise<{ principal: Principal; rate: RateDecision }>;
}

/**
 * The shared authenticated-request stack for every service's Hono app.
 * Token verification is local (JWT, remembered per token string), revocation
 * one Redis EXISTS for user tokens, the client check an in-process cache
 * lookup, and the rate limit one Redis script call.
 */
export function createAuthStack(deps: AuthStackDeps): AuthStack {
  const cacheSize = deps.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE;
  // The cache stands in for the signature and claims check only; verifyOrThrow still checks revocation.
  const tokens = cacheSize > 0 ? new VerifiedTokenCache(deps.tokens, cacheSize) : deps.tokens;
  const authenticateToken = async (token: string | undefined) => {
    if (!token)
      throw new ProblemError('unauthorized', 'send an access token as "Authorization: Bearer <token>" (POST /v1/auth/token)', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    const principal = await unavailableOnTransient(() => verifyOrThrow(tokens, token, deps.revocations), deps.logger);
    let limit = deps.defaultLimitPerMin;
    if (principal.kind === 'client') {
      const client = await unavailableOnTransient(() => deps.clients.resolveClient(principal.subject), deps.logger);
      if (!client)
        throw new ProblemError('invalid_token', 'the API client of this token has been deleted', {
          headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        });
      limit = client.rate_limit_per_min ?? limit;
    }
    const rate = await unavailableOnTransient(() => deps.rateLimiter.consume(principalRef(principal), limit), deps.logger);
    if (!rate.allowed)
      throw new ProblemError('rate_limited', `more than ${limit} requests per minute; retry after the Retry-After seconds`, {
        headers: rateLimitHeaders(rate, true),
      });
    return { principal, rate };
  };

  return {
    authenticateToken,
    middleware: async (c, next) => {
      const { principal, rate } = await authenticateToken(bearer(c.req.header('authorization')));
      c.set('principal', principal);
      // Set before the handler runs: the response (or problem+json on error) is built with them.
      for (const [k, v] of Object.entries(rateLimitHeaders(rate, false))) c.header(k, v);
      await next();
    },
  };
}

/** IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), plus Retry-After when refused. */
export function rateLimitHeaders(rate: RateDecision, refused: boolean): Record<string, string> {
  const resetS = Math.max(1, Math.ceil(rate.resetMs / 1000));
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(rate.limit),
    'RateLimit-Remaining': String(rate.remaining),
    'RateLimit-Reset': String(resetS),
  };
  if (refused) headers['Retry-After'] = String(resetS);
  return headers;
}

/** A store that did not answer is the server's problem, not the caller's: 503 with Retry-After, never 500. */
export async function unavailableOnTransient<T>(fn: () => Promise<T>, logger?: Logger): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    logger?.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'identity store call failed; answering 503');
    const retryAfterS = isTransient(err) && err.retryAfterMs ? Math.ceil(err.retryAfterMs / 1000) : 1;
    throw new ProblemError('unavailable', 'an identity store (Redis or etcd) did not answer; retry shortly', {
      headers: { 'Retry-After': String(retryAfterS) },
    });
  }
}

/** The authenticated principal set by the stack's middleware. */
export function principalOf(c: Context): Principal {
  const p = c.get('principal') as Principal | undefined;
  if (!p) throw new ProblemError('unauthorized');
  return p;
}
