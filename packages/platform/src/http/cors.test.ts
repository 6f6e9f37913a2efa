import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { createServiceApp } from './app';
import { corsConfigSchema, CORS_EXPOSED_HEADERS, decideCors } from './cors';
import { ProblemError } from './problem';

const APP_ORIGIN = 'https://app.example.com';

function app(allowedOrigins: string[]) {
  const a = createServiceApp({
    service: 'cors-test',
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    checks: [],
    cors: { allowedOrigins },
  });
  a.get('/v1/me', (c) => c.json({ user: 'alice' }));
  a.post('/v1/messages', (c) => {
    c.header('Location', '/v1/messages/m1');
    return c.json({ id: 'm1' }, 202);
  });
  a.get('/v1/limited', () => {
    throw new ProblemError('rate_limited', 'slow down', { headers: { 'Retry-After': '7' } });
  });
  return a;
}

const preflight = (origin: string, method = 'POST') => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
});

describe('CORS_ALLOWED_ORIGINS', () => {
  it('empty by default: CORS off', () => {
    expect(loadConfig(corsConfigSchema, {}).CORS_ALLOWED_ORIGINS).toEqual([]);
  });

  it('a comma-separated list of exact origins', () => {
    expect(
      loadConfig(corsConfigSchema, { CORS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173' }).CORS_ALLOWED_ORIGINS,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it.each(['*', 'https://app.example.com/', 'app.example.com', 'https://app.example.com/path', 'ftp://x.example'])(
    'refuses %j, naming the variable',
    (value) => {
      expect(() => loadConfig(corsConfigSchema, { CORS_ALLOWED_ORIGINS: value })).toThrow(
        /CORS_ALLOWED_ORIGINS is invalid.*is not an origin/,
      );
    },
  );
});

describe('decideCors', () => {
  const policy = { allowedOrigins: [APP_ORIGIN] };
  it('no policy: nothing, whatever the request', () => {
    expect(decideCors({ allowedOrigins: [] }, { method: 'OPTIONS', origin: APP_ORIGIN, requestMethod: 'POST' })).toEqual({ kind: 'none' });
  });
  it('an OPTIONS without Access-Control-Request-Method is not a preflight', () => {
    expect(decideCors(policy, { method: 'OPTIONS', origin: APP_ORIGIN })).toMatchObject({ kind: 'actual' });
  });
  it('a request without Origin (not a browser, or same origin) gets only Vary', () => {
    expect(decideCors(policy, { method: 'GET' })).toEqual({ kind: 'actual', headers: { vary: 'Origin' } });
  });
  it('origins match exactly: another scheme, port or a suffix is another origin', () => {
    for (const origin of ['http://app.example.com', 'https://app.example.com:8443', 'https://app.example.com.evil.test', 'null']) {
      expect(decideCors(policy, { method: 'GET', origin })).toEqual({ kind: 'actual', headers: { vary: 'Origin' } });
    }
  });
});

describe('CORS in the service shell', () => {
  it('a preflight from an allowed origin: 204, the origin echoed, methods, headers, max-age, no credentials', async () => {
    const res = await app([APP_ORIGIN]).request('/v1/messages', preflight(APP_ORIGIN));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization.*Content-Type.*Idempotency-Key/);
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('a preflight from another origin: 403 problem+json naming the origin, no allow header', async () => {
    const res = await app([APP_ORIGIN]).request('/v1/messages', preflight('https://evil.example'));
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await res.json()) as { detail: string }).detail).toContain('"https://evil.example" is not in CORS_ALLOWED_ORIGINS');
  });

  it('an actual request from an allowed origin: the origin echoed, Location, Retry-After and the request id exposed', async () => {
    const res = await app([APP_ORIGIN]).request('/v1/messages', { method: 'POST', headers: { origin: APP_ORIGIN } });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toBe(CORS_EXPOSED_HEADERS);
    expect(CORS_EXPOSED_HEADERS).toMatch(/Retry-After.*Location.*X-Request-Id/);
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('errors carry CORS headers too, so a page can read a 429 and its Retry-After', async () => {
    const res = await app([APP_ORIGIN]).request('/v1/limited', { headers: { origin: APP_ORIGIN } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    const missing = await app([APP_ORIGIN]).request('/v1/nothing-here', { headers: { origin: APP_ORIGIN } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('an actual request from another origin: answered (the browser withholds it), without an allow header', async () => {
    const res = await app([APP_ORIGIN]).request('/v1/me', { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('no origins configured: no CORS headers and OPTIONS is not answered as a preflight', async () => {
    const a = app([]);
    const res = await a.request('/v1/me', { headers: { origin: APP_ORIGIN } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await a.request('/v1/messages', preflight(APP_ORIGIN));
    expect(pre.status).toBe(404);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
