import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createServiceApp } from './app';
import { ProblemError } from './problem';

function app() {
  const a = createServiceApp({ service: 'headers-test', logger: pino({ level: 'silent' }), registry: new Registry(), checks: [] });
  a.get('/v1/me', (c) => c.json({ user: 'alice' }));
  a.get('/v1/cacheable', (c) => {
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ ok: true });
  });
  a.get('/v1/forbidden', () => {
    throw new ProblemError('forbidden', 'no');
  });
  a.get('/page', (c) => {
    c.header('Content-Security-Policy', "default-src 'self'");
    return c.html('<p>hi</p>');
  });
  return a;
}

const BASE = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

describe('security headers on every service response (issue 22, finding 7)', () => {
  it('an authenticated JSON answer: nosniff, no framing, no referrer, a deny-all CSP and no-store', async () => {
    const res = await app().request('/v1/me', { headers: { authorization: 'Bearer x' } });
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toMatchObject({ ...BASE, 'cache-control': 'no-store' });
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('problem+json answers (thrown, unmatched) and health and metrics carry them too', async () => {
    const a = app();
    for (const path of ['/v1/forbidden', '/nowhere', '/health/live', '/health/ready', '/metrics']) {
      const res = await a.request(path);
      expect(Object.fromEntries(res.headers), path).toMatchObject(BASE);
      if (res.headers.get('content-type')?.includes('json')) expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });

  it("keeps a route's own Cache-Control and Content-Security-Policy", async () => {
    const a = app();
    expect((await a.request('/v1/cacheable')).headers.get('cache-control')).toBe('public, max-age=60');
    const page = await a.request('/page');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });
});
