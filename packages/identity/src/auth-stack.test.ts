import { describe, expect, it } from 'vitest';
import { TransientError } from '@hub/domain';
import { ProblemError } from '@hub/platform';
import { rateLimitHeaders, unavailableOnTransient } from './auth-stack';

describe('rate limit headers', () => {
  it('state limit, remaining and whole seconds to reset', () => {
    expect(rateLimitHeaders({ allowed: true, limit: 1000, remaining: 998, resetMs: 59_001 }, false)).toEqual({
      'RateLimit-Limit': '1000',
      'RateLimit-Remaining': '998',
      'RateLimit-Reset': '60',
    });
  });
  it('add Retry-After when refused, never 0 seconds', () => {
    expect(rateLimitHeaders({ allowed: false, limit: 5, remaining: 0, resetMs: 0 }, true)).toMatchObject({
      'RateLimit-Remaining': '0',
      'Retry-After': '1',
    });
  });
});

describe('store failures', () => {
  it('become 503 with Retry-After, and problems pass through', async () => {
    const err = await unavailableOnTransient(() => Promise.reject(new TransientError('down', 3_000))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(503);
    expect((err as ProblemError).options.headers).toEqual({ 'Retry-After': '3' });
    const own = new ProblemError('forbidden');
    await expect(unavailableOnTransient(() => Promise.reject(own))).rejects.toBe(own);
  });
});
