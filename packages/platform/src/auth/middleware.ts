import type { MiddlewareHandler } from 'hono';
import { hasScope, type Principal, type Scope } from '@hub/domain';
import { ProblemError } from '../http/problem';
import { InvalidTokenError, type TokenVerifier } from './tokens';

/** Port: has this user session been revoked (logout, refresh-token reuse)? */
export interface SessionRevocations {
  isRevoked(sessionId: string): Promise<boolean>;
}

export type AuthVariables = { principal: Principal };

/** Reads `Authorization: Bearer …`; 401 problem+json when missing, malformed, expired or revoked. */
export function authenticate(tokens: TokenVerifier, revocations?: SessionRevocations): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const token = bearer(header);
    if (!token)
      throw new ProblemError('unauthorized', 'send an access token as "Authorization: Bearer <token>" (POST /v1/auth/token)', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    c.set('principal', await verifyOrThrow(tokens, token, revocations));
    await next();
  };
}

export async function verifyOrThrow(tokens: TokenVerifier, token: string, revocations?: SessionRevocations): Promise<Principal> {
  let principal: Principal;
  try {
    principal = await tokens.verify(token);
  } catch (err) {
    const detail =
      err instanceof InvalidTokenError && err.expired
        ? 'the access token has expired; refresh it (POST /v1/auth/refresh)'
        : 'the access token is not valid';
    throw new ProblemError('invalid_token', detail, { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
  }
  if (principal.kind === 'user' && revocations && (await revocations.isRevoked(principal.sessionId))) {
    throw new ProblemError('invalid_token', 'the session has been revoked; log in again', {
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  }
  return principal;
}

export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header.trim());
  return m?.[1];
}

/** 403 problem+json unless the authenticated principal holds the scope. */
export function requireScope(scope: Scope): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const p = c.get('principal');
    if (!p) throw new ProblemError('unauthorized');
    if (!hasScope(p, scope))
      throw new ProblemError('insufficient_scope', `this operation needs the "${scope}" scope`, { extra: { required_scope: scope } });
    await next();
  };
}
