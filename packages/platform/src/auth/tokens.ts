import type { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { ScopeSchema, type Principal } from '@hub/domain';

export interface TokenSettings {
  /** HMAC key shared by the services that verify tokens (at least 32 bytes). */
  secret: string;
  issuer: string;
  audience?: string;
  accessTtlSeconds: number;
}

const ClaimsSchema = z.object({
  sub: z.string().min(1),
  kind: z.enum(['user', 'client']),
  scopes: z.array(ScopeSchema),
  sid: z.string().optional(),
  sender: z.string().optional(),
});

/** Anything that turns a bearer token into a principal: AccessTokens, or a cache in front of it. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** A verified token: who it names, and until when it is valid (its `exp`, ms since the epoch). */
export interface VerifiedToken {
  principal: Principal;
  /** Undefined only for a token without `exp`, which a cache must not keep. */
  expiresAtMs: number | undefined;
}

export class InvalidTokenError extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/**
 * Issues and verifies the hub's JWT access tokens (HS256). The token
 * carries who the caller is and what it may do; per-request checks need no
 * store lookup except session revocation.
 */
export class AccessTokens implements TokenVerifier {
  // Imported once: jose would otherwise import a raw key on every sign and
  // verify, which costs more than the HMAC itself (bench/auth).
  private readonly key: Promise<webcrypto.CryptoKey>;
  private readonly audience: string;

  constructor(private readonly s: TokenSettings) {
    this.key = crypto.subtle.importKey('raw', new TextEncoder().encode(s.secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    this.audience = s.audience ?? 'messaging-hub';
  }

  get ttlSeconds(): number {
    return this.s.accessTtlSeconds;
  }

  async issue(p: Principal, opts: { ttlSeconds?: number } = {}): Promise<string> {
    const claims: Record<string, unknown> = { kind: p.kind, scopes: [...p.scopes] };
    if (p.kind === 'user') claims.sid = p.sessionId;
    if (p.kind === 'client' && p.senderName) claims.sender = p.senderName;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(p.subject)
      .setIssuer(this.s.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime(`${opts.ttlSeconds ?? this.s.accessTtlSeconds}s`)
      .sign(await this.key);
  }

  async verify(token: string): Promise<Principal> {
    return (await this.verifyWithExpiry(token)).principal;
  }

  /** verify(), plus the token's expiry, so a cache can keep the result exactly as long as the token is valid. */
  async verifyWithExpiry(token: string): Promise<VerifiedToken> {
    let payload: { exp?: number };
    try {
      ({ payload } = await jwtVerify(token, await this.key, { issuer: this.s.issuer, audience: this.audience, algorithms: ['HS256'] }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new InvalidTokenError('token expired', true);
      throw new InvalidTokenError('token invalid');
    }
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success) throw new InvalidTokenError('token claims invalid');
    const c = claims.data;
    // jose has checked exp (a number, in the future) if present; it is seconds since the epoch.
    const expiresAtMs = typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
    if (c.kind === 'user') {
      if (!c.sid) throw new InvalidTokenError('user token without session');
      return { principal: { kind: 'user', subject: c.sub, scopes: c.scopes, sessionId: c.sid }, expiresAtMs };
    }
    return { principal: { kind: 'client', subject: c.sub, scopes: c.scopes, ...(c.sender ? { senderName: c.sender } : {}) }, expiresAtMs };
  }
}
