import { describe, expect, it } from 'vitest';
import { AccessTokens } from './tokens';

const tokens = new AccessTokens({ secret: 'x'.repeat(40), issuer: 'test', accessTtlSeconds: 60 });

describe('access tokens', () => {
  it('round-trip a user principal', async () => {
    const t = await tokens.issue({ kind: 'user', subject: 'alice', scopes: ['messages:send'], sessionId: 's1' });
    expect(await tokens.verify(t)).toEqual({ kind: 'user', subject: 'alice', scopes: ['messages:send'], sessionId: 's1' });
  });
  it('reject a token signed with another key', async () => {
    const other = new AccessTokens({ secret: 'y'.repeat(40), issuer: 'test', accessTtlSeconds: 60 });
    const t = await other.issue({ kind: 'client', subject: 'c1', scopes: ['admin'] });
    await expect(tokens.verify(t)).rejects.toThrow('token invalid');
  });
  it('reject an expired token as expired', async () => {
    const t = await tokens.issue({ kind: 'client', subject: 'c1', scopes: [] }, { ttlSeconds: -10 });
    await expect(tokens.verify(t)).rejects.toMatchObject({ expired: true });
  });
  it('reject alg=none and tampered payloads', async () => {
    const t = await tokens.issue({ kind: 'client', subject: 'c1', scopes: [] });
    const [, payload] = t.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    await expect(tokens.verify(none)).rejects.toThrow();
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), scopes: ['admin'] }),
    ).toString('base64url');
    await expect(tokens.verify(t.replace(payload!, forged))).rejects.toThrow('token invalid');
  });
});

describe('verifyWithExpiry', () => {
  it('returns the exp claim in ms with the principal', async () => {
    const before = Date.now();
    const t = await tokens.issue({ kind: 'client', subject: 'c1', scopes: [], senderName: 'shop' }, { ttlSeconds: 30 });
    const v = await tokens.verifyWithExpiry(t);
    expect(v.principal).toEqual({ kind: 'client', subject: 'c1', scopes: [], senderName: 'shop' });
    expect(v.expiresAtMs! % 1000).toBe(0);
    expect(v.expiresAtMs! - before).toBeGreaterThan(28_000);
    expect(v.expiresAtMs! - before).toBeLessThanOrEqual(30_000);
  });
});
