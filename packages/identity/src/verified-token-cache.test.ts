import { describe, expect, it, vi } from 'vitest';
import type { Principal } from '@hub/domain';
import { AccessTokens, type SessionRevocations } from '@hub/platform';
import { createAuthStack } from './auth-stack';
import { VerifiedTokenCache } from './verified-token-cache';

const tokens = new AccessTokens({ secret: 'k'.repeat(40), issuer: 'test', accessTtlSeconds: 60 });
const alice: Principal = { kind: 'user', subject: 'alice', scopes: ['messages:send'], sessionId: 's1' };

/** A token service of its own per test, with a spy on the real verification. */
function spiedTokens() {
  const t = new AccessTokens({ secret: 'k'.repeat(40), issuer: 'test', accessTtlSeconds: 60 });
  return { t, spy: vi.spyOn(t, 'verifyWithExpiry') };
}

describe('verified-token cache', () => {
  it('verifies a token once and answers repeats from memory', async () => {
    const { t, spy } = spiedTokens();
    const cache = new VerifiedTokenCache(t, 100);
    const token = await t.issue(alice);
    expect(await cache.verify(token)).toEqual(alice);
    expect(await cache.verify(token)).toEqual(alice);
    expect(await cache.verify(token)).toEqual(alice);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('rejects a cached token once its exp has passed, as expired', async () => {
    let now = Date.now();
    const { t, spy } = spiedTokens();
    const cache = new VerifiedTokenCache(t, 100, () => now);
    const token = await t.issue(alice, { ttlSeconds: 2 });
    await cache.verify(token);
    // The cache's clock moves past exp: the hit is dropped and the verifier asked again.
    now += 3_000;
    spy.mockRejectedValueOnce(Object.assign(new Error('token expired'), { expired: true }));
    await expect(cache.verify(token)).rejects.toMatchObject({ expired: true });
    expect(spy).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(0);
  });

  it('lets a really expired token fail verification, with the real clock', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date', 'performance'] });
    try {
      const cache = new VerifiedTokenCache(tokens, 100);
      const token = await tokens.issue(alice, { ttlSeconds: 1 });
      expect(await cache.verify(token)).toEqual(alice);
      vi.setSystemTime(Date.now() + 2_000);
      await expect(cache.verify(token)).rejects.toMatchObject({ name: 'InvalidTokenError', expired: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('never serves a tampered token from the cache', async () => {
    const { t, spy } = spiedTokens();
    const cache = new VerifiedTokenCache(t, 100);
    const token = await t.issue({ kind: 'client', subject: 'c1', scopes: ['messages:send'] });
    await cache.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scopes: ['admin'] })).toString(
      'base64url',
    );
    await expect(cache.verify(`${header}.${forged}.${signature}`)).rejects.toThrow('token invalid');
    // A changed signature character is a different key as well.
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(cache.verify(flipped)).rejects.toThrow('token invalid');
    expect(spy).toHaveBeenCalledTimes(3);
    // Failures are not remembered: the forged token fails again through the verifier.
    await expect(cache.verify(`${header}.${forged}.${signature}`)).rejects.toThrow('token invalid');
    expect(spy).toHaveBeenCalledTimes(4);
  });

  it('does not keep a token without exp', async () => {
    const verifyWithExpiry = vi.fn(async () => ({ principal: alice, expiresAtMs: undefined }));
    const cache = new VerifiedTokenCache({ verifyWithExpiry }, 100);
    await cache.verify('a.b.c');
    await cache.verify('a.b.c');
    expect(verifyWithExpiry).toHaveBeenCalledTimes(2);
  });

  it('holds at most its size, evicting the least recently used token', async () => {
    const verifyWithExpiry = vi.fn(async (token: string) => ({
      principal: { ...alice, subject: token },
      expiresAtMs: Date.now() + 60_000,
    }));
    const cache = new VerifiedTokenCache({ verifyWithExpiry }, 2);
    await cache.verify('t1');
    await cache.verify('t2');
    await cache.verify('t1');
    await cache.verify('t3'); // evicts t2
    expect(cache.size).toBe(2);
    await cache.verify('t1');
    expect(verifyWithExpiry).toHaveBeenCalledTimes(3);
    await cache.verify('t2');
    expect(verifyWithExpiry).toHaveBeenCalledTimes(4);
  });
});

describe('auth stack with the token cache', () => {
  const rateLimiter = {
    consume: vi.fn(async () => ({ allowed: true, limit: 10, remaining: 9, resetMs: 60_000 })),
    peek: vi.fn(),
    reset: vi.fn(),
  };

  it('still checks revocation on a cache hit', async () => {
    const { t, spy } = spiedTokens();
    const revoked = new Set<string>();
    const revocations: SessionRevocations = { isRevoked: vi.fn(async (sid: string) => revoked.has(sid)) };
    const stack = createAuthStack({
      tokens: t,
      revocations,
      clients: { resolveClient: async () => undefined },
      rateLimiter,
      defaultLimitPerMin: 10,
    });
    const token = await t.issue(alice);
    expect((await stack.authenticateToken(token)).principal).toEqual(alice);
    revoked.add('s1');
    await expect(stack.authenticateToken(token)).rejects.toMatchObject({ status: 401, detail: expect.stringContaining('revoked') });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(revocations.isRevoked).toHaveBeenCalledTimes(2);
  });

  it('still checks that the API client exists and counts the rate limit on a cache hit', async () => {
    const { t, spy } = spiedTokens();
    let exists = true;
    const clients = { resolveClient: vi.fn(async () => (exists ? ({ client_id: 'c1', scopes: ['messages:send'] } as never) : undefined)) };
    const consume = vi.fn(async () => ({ allowed: true, limit: 10, remaining: 9, resetMs: 60_000 }));
    const stack = createAuthStack({
      tokens: t,
      revocations: { isRevoked: async () => false },
      clients,
      rateLimiter: { ...rateLimiter, consume },
      defaultLimitPerMin: 10,
    });
    const token = await t.issue({ kind: 'client', subject: 'c1', scopes: ['messages:send'] });
    await stack.authenticateToken(token);
    await stack.authenticateToken(token);
    exists = false;
    await expect(stack.authenticateToken(token)).rejects.toMatchObject({ status: 401, detail: expect.stringContaining('deleted') });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(clients.resolveClient).toHaveBeenCalledTimes(3);
    expect(consume).toHaveBeenCalledTimes(2);
  });

  it('verifies every request when the cache is off (size 0)', async () => {
    const { t, spy } = spiedTokens();
    const stack = createAuthStack({
      tokens: t,
      revocations: { isRevoked: async () => false },
      clients: { resolveClient: async () => undefined },
      rateLimiter,
      defaultLimitPerMin: 10,
      tokenCacheSize: 0,
    });
    const token = await t.issue(alice);
    await stack.authenticateToken(token);
    await stack.authenticateToken(token);
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
