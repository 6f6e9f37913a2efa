import { describe, expect, it } from 'vitest';
import { createHubFetch, HubProblemError, MemoryTokenStore, TokenManager, type StoredTokens } from '../src/index.js';

/** A scripted token endpoint and API: records every request, answers per the handler. */
function fakeHub(handler: (req: Request, body: any) => Response | Promise<Response>) {
  const calls: { method: string; path: string; auth: string | null; body: any; key: string | null }[] = [];
  const fetch = async (req: Request) => {
    const text = await req.text();
    const body = text ? JSON.parse(text) : undefined;
    calls.push({
      method: req.method,
      path: new URL(req.url).pathname,
      auth: req.headers.get('authorization'),
      body,
      key: req.headers.get('idempotency-key'),
    });
    return handler(req, body);
  };
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const tokenBody = (n: number, refresh = true) => ({
  access_token: `at${n}`,
  token_type: 'Bearer',
  expires_in: 3600,
  scope: 'messages:send',
  ...(refresh ? { refresh_token: `rt${n}` } : {}),
});

describe('TokenManager', () => {
  it('refreshes ahead of expiry and stores the rotated refresh token', async () => {
    let now = 1_000_000;
    let issued = 1;
    const hub = fakeHub((_req, body) => {
      if (body.grant_type === 'password') return json(200, tokenBody(issued++));
      if (body.grant_type === 'refresh_token') return json(200, tokenBody(issued++));
      return json(400, { title: 'bad' });
    });
    const store = new MemoryTokenStore();
    const tm = new TokenManager({ baseUrl: 'http://hub.test', fetch: hub.fetch, store, now: () => now, refreshMarginMs: 60_000 });
    await tm.loginWithPassword('alice', 'pw');
    expect(await tm.getAccessToken()).toBe('at1');

    now += 3600_000 - 30_000; // 30 s before expiry: inside the margin
    expect(await tm.getAccessToken()).toBe('at2');
    expect(hub.calls.at(-1)!.body).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt1' });
    expect((store.get() as StoredTokens).refreshToken).toBe('rt2');

    now += 3600_000 - 30_000;
    expect(await tm.getAccessToken()).toBe('at3');
    expect(hub.calls.at(-1)!.body).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt2' });
  });

  it('shares one refresh between concurrent callers (a refresh token is single-use)', async () => {
    let now = 0;
    let refreshes = 0;
    const hub = fakeHub(async (_req, body) => {
      if (body.grant_type === 'refresh_token') {
        refreshes++;
        await new Promise((r) => setTimeout(r, 20));
      }
      return json(200, tokenBody(refreshes + 1));
    });
    const tm = new TokenManager({ baseUrl: 'http://hub.test', fetch: hub.fetch, now: () => now });
    await tm.loginWithPassword('alice', 'pw');
    now = 3600_000;
    const tokens = await Promise.all([tm.getAccessToken(), tm.getAccessToken(), tm.getAccessToken()]);
    expect(refreshes).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['at2']));
  });

  it('forgets the session when the refresh is refused', async () => {
    let now = 0;
    const hub = fakeHub((_req, body) =>
      body.grant_type === 'password'
        ? json(200, tokenBody(1))
        : json(401, { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'refresh token reused' }),
    );
    const store = new MemoryTokenStore();
    const tm = new TokenManager({ baseUrl: 'http://hub.test', fetch: hub.fetch, store, now: () => now });
    await tm.loginWithPassword('alice', 'pw');
    now = 3600_000;
    await expect(tm.getAccessToken()).rejects.toBeInstanceOf(HubProblemError);
    expect(store.get()).toBeUndefined();
  });

  it('logs out with a renewed token when the stored one expired, and forgets the tokens', async () => {
    let now = 0;
    let issued = 0;
    const hub = fakeHub((req) =>
      new URL(req.url).pathname === '/v1/auth/logout' ? new Response(null, { status: 204 }) : json(200, tokenBody(++issued)),
    );
    const store = new MemoryTokenStore();
    const tm = new TokenManager({ baseUrl: 'http://hub.test', fetch: hub.fetch, store, now: () => now });
    await tm.loginWithPassword('alice', 'pw');
    now = 7200_000;
    await tm.logout();
    expect(hub.calls.map((c) => [c.path, c.auth ?? c.body?.grant_type])).toEqual([
      ['/v1/auth/token', 'password'],
      ['/v1/auth/token', 'refresh_token'],
      ['/v1/auth/logout', 'Bearer at2'],
    ]);
    expect(store.get()).toBeUndefined();
  });

  it('gets a new client_credentials token when the old one runs out (clients have no refresh token)', async () => {
    let now = 0;
    let n = 0;
    const hub = fakeHub(() => json(200, tokenBody(++n, false)));
    const tm = new TokenManager({ baseUrl: 'http://hub.test', fetch: hub.fetch, now: () => now });
    await tm.loginWithClientCredentials('cid', 'secret');
    now = 3600_000;
    expect(await tm.getAccessToken()).toBe('at2');
    expect(hub.calls.map((c) => c.body.grant_type)).toEqual(['client_credentials', 'client_credentials']);
  });
});

describe('createHubFetch', () => {
  it('renews the token once after a 401 and repeats the request with the new one', async () => {
    let issued = 0;
    const hub = fakeHub((req) => {
      const path = new URL(req.url).pathname;
      if (path === '/v1/auth/token') return json(200, tokenBody(++issued));
      return req.headers.get('authorization') === 'Bearer at2'
        ? json(200, { ok: true })
        : json(401, { title: 'Unauthorized', status: 401 });
    });
    const tm = new TokenManager({ baseUrl: 'http://hub.test', fetch: hub.fetch });
    await tm.loginWithPassword('alice', 'pw');
    const f = createHubFetch({ tokens: tm, fetch: hub.fetch });
    const res = await f(new Request('http://hub.test/v1/auth/me'));
    expect(res.status).toBe(200);
    expect(hub.calls.map((c) => [c.path, c.auth ?? c.body?.grant_type])).toEqual([
      ['/v1/auth/token', 'password'],
      ['/v1/auth/me', 'Bearer at1'],
      ['/v1/auth/token', 'refresh_token'],
      ['/v1/auth/me', 'Bearer at2'],
    ]);
  });

  it('lets a second 401 through instead of looping', async () => {
    let issued = 0;
    const hub = fakeHub((req) =>
      new URL(req.url).pathname === '/v1/auth/token' ? json(200, tokenBody(++issued)) : json(401, { title: 'Unauthorized', status: 401 }),
    );
    const tm = new TokenManager({ baseUrl: 'http://hub.test', fetch: hub.fetch });
    await tm.loginWithPassword('alice', 'pw');
    const res = await createHubFetch({ tokens: tm, fetch: hub.fetch })(new Request('http://hub.test/v1/auth/me'));
    expect(res.status).toBe(401);
    expect(hub.calls.filter((c) => c.path === '/v1/auth/me')).toHaveLength(2);
  });

  it('retries a send on 503 with the same Idempotency-Key, waiting for Retry-After', async () => {
    let n = 0;
    const hub = fakeHub(() =>
      ++n < 3
        ? json(503, { title: 'Service Unavailable', status: 503 }, { 'retry-after': '1' })
        : json(202, { message_id: 'm1', status: 'accepted' }),
    );
    const delays: number[] = [];
    const f = createHubFetch({ fetch: hub.fetch, retry: { initialDelayMs: 1, jitter: 0 }, onRetry: (i) => delays.push(i.delayMs) });
    const t0 = Date.now();
    const res = await f(
      new Request('http://hub.test/v1/messages', {
        method: 'POST',
        body: JSON.stringify({ conversation_id: 'c', from: 'a', payload: { type: 'text', text: 'hi' } }),
      }),
    );
    expect(res.status).toBe(202);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(delays).toEqual([1_000, 1_000]);
    const keys = hub.calls.map((c) => c.key);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(hub.calls.every((c) => c.body.payload.text === 'hi')).toBe(true);
  });

  it('keeps a caller-chosen key and returns the last answer when attempts run out', async () => {
    const hub = fakeHub(() => json(429, { title: 'Too Many Requests', status: 429 }));
    const f = createHubFetch({ fetch: hub.fetch, retry: { initialDelayMs: 1, maxAttempts: 3 } });
    const res = await f(new Request('http://hub.test/v1/messages', { method: 'POST', headers: { 'idempotency-key': 'mine' }, body: '{}' }));
    expect(res.status).toBe(429);
    expect(hub.calls.map((c) => c.key)).toEqual(['mine', 'mine', 'mine']);
  });

  it('retries network errors only for requests that are safe to repeat', async () => {
    let n = 0;
    const flaky = async (req: Request) => {
      if (++n % 2 === 1) throw new TypeError('fetch failed');
      return new Response(req.method, { status: 200 });
    };
    const f = createHubFetch({ fetch: flaky, retry: { initialDelayMs: 1 } });
    expect((await f(new Request('http://hub.test/v1/conversations'))).status).toBe(200);
    // A send carries an idempotency key, so it is repeatable too.
    expect((await f(new Request('http://hub.test/v1/messages', { method: 'POST', body: '{}' }))).status).toBe(200);
    // Another POST is not: the first attempt may have taken effect.
    await expect(f(new Request('http://hub.test/v1/conversations', { method: 'POST', body: '{}' }))).rejects.toThrow(/fetch failed/);
  });
});
