import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokens } from '@hub/platform';
import { login, randomUsername, registerAndLogin, startTestFrontend, testPassword } from '../../../../test/support/identity';

type Started = Awaited<ReturnType<typeof startTestFrontend>>;

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('auth API (spawned frontend, real etcd and Redis)', () => {
  let t: Started;
  beforeAll(async () => {
    t = await startTestFrontend();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('registers a user, logs in, and the token works', async () => {
    const username = randomUsername();
    const password = testPassword();
    const reg = await fetch(`${t.url}/v1/auth/register`, json({ username, password, display_name: 'Ann' }));
    expect(reg.status).toBe(201);
    expect(await reg.json()).toMatchObject({ username, display_name: 'Ann' });

    const tok = await fetch(`${t.url}/v1/auth/token`, json({ grant_type: 'password', username, password }));
    expect(tok.status).toBe(200);
    expect(tok.headers.get('cache-control')).toBe('no-store');
    const body = (await tok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'messages:send messages:read files:write' });
    expect(body.refresh_token).toMatch(/^rt_/);

    const me = await fetch(`${t.url}/v1/auth/me`, bearer(body.access_token as string));
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'user', subject: username });
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    const u = await registerAndLogin(t.url);
    for (const body of [
      { username: u.username, password: 'wrong-password' },
      { username: randomUsername(), password: 'wrong-password' },
    ]) {
      const res = await fetch(`${t.url}/v1/auth/token`, json({ grant_type: 'password', ...body }));
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 401, detail: 'wrong username or password' });
    }
  });

  it('of concurrent registrations of one name exactly one gets 201, the rest 409', async () => {
    const username = randomUsername('race');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${t.url}/v1/auth/register`, json({ username, password: testPassword() }))),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const conflict = results.find((r) => r.status === 409)!;
    expect(await conflict.json()).toMatchObject({ errors: [{ field: 'username', message: 'is taken' }] });
  });

  it('rotates refresh tokens: the new one works, the access token of the session keeps working', async () => {
    const u = await registerAndLogin(t.url);
    const r1 = await fetch(`${t.url}/v1/auth/refresh`, json({ refresh_token: u.refreshToken }));
    expect(r1.status).toBe(200);
    const b1 = (await r1.json()) as { access_token: string; refresh_token: string };
    expect(b1.refresh_token).not.toBe(u.refreshToken);
    // The OAuth form: grant_type=refresh_token at the token endpoint, form-encoded.
    const r2 = await fetch(`${t.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: b1.refresh_token }),
    });
    expect(r2.status).toBe(200);
    const b2 = (await r2.json()) as { access_token: string };
    const me = (await (await fetch(`${t.url}/v1/auth/me`, bearer(b2.access_token))).json()) as { session_id: string };
    const first = (await (await fetch(`${t.url}/v1/auth/me`, bearer(u.accessToken))).json()) as { session_id: string };
    expect(me.session_id).toBe(first.session_id);
  });

  it('reuse of a used refresh token revokes the whole session', async () => {
    const u = await registerAndLogin(t.url);
    const rotated = (await (await fetch(`${t.url}/v1/auth/refresh`, json({ refresh_token: u.refreshToken }))).json()) as {
      access_token: string;
      refresh_token: string;
    };
    expect((await fetch(`${t.url}/v1/auth/me`, bearer(rotated.access_token))).status).toBe(200);

    const reuse = await fetch(`${t.url}/v1/auth/refresh`, json({ refresh_token: u.refreshToken }));
    expect(reuse.status).toBe(401);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant', detail: expect.stringContaining('already used') });
    // Every token of the family is dead now: the newest refresh token and both access tokens.
    expect((await fetch(`${t.url}/v1/auth/refresh`, json({ refresh_token: rotated.refresh_token }))).status).toBe(401);
    for (const token of [u.accessToken, rotated.access_token]) {
      const res = await fetch(`${t.url}/v1/auth/me`, bearer(token));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { detail: string }).detail).toContain('revoked');
    }
    expect(t.fe.output.some((l) => l.includes('"event":"security.refresh_token_reuse"') && l.includes(u.username))).toBe(true);
    // Another session of the same user is unaffected.
    const again = await login(t.url, u.username, u.password);
    expect((await fetch(`${t.url}/v1/auth/me`, bearer(again.access_token))).status).toBe(200);
  });

  it('logout revokes the session: access and refresh tokens stop working', async () => {
    const u = await registerAndLogin(t.url);
    const out = await fetch(`${t.url}/v1/auth/logout`, { method: 'POST', ...bearer(u.accessToken) });
    expect(out.status).toBe(204);
    expect((await fetch(`${t.url}/v1/auth/me`, bearer(u.accessToken))).status).toBe(401);
    const refresh = await fetch(`${t.url}/v1/auth/refresh`, json({ refresh_token: u.refreshToken }));
    expect(refresh.status).toBe(401);
  });

  it('answers 401 for a missing, malformed, forged or expired token', async () => {
    const missing = await fetch(`${t.url}/v1/auth/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toMatchObject({ type: expect.stringContaining('unauthorized') });

    expect((await fetch(`${t.url}/v1/auth/me`, bearer('not-a-jwt'))).status).toBe(401);
    const forged = await new AccessTokens({ secret: 'f'.repeat(48), issuer: 'messaging-hub', accessTtlSeconds: 60 }).issue({
      kind: 'client',
      subject: 'test-admin',
      scopes: ['admin'],
    });
    expect((await fetch(`${t.url}/v1/clients`, bearer(forged))).status).toBe(401);

    const tokens = new AccessTokens({ secret: t.env.JWT_SECRET!, issuer: 'messaging-hub', accessTtlSeconds: 60 });
    const expired = await tokens.issue({ kind: 'user', subject: 'someone', scopes: ['messages:send'], sessionId: 's' }, { ttlSeconds: -5 });
    const res = await fetch(`${t.url}/v1/auth/me`, bearer(expired));
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { detail: string }).detail).toContain('expired');
  });

  it('takes OAuth form bodies and narrows scopes on request', async () => {
    const u = await registerAndLogin(t.url);
    const form = await fetch(`${t.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: u.username, password: u.password, scope: 'messages:read' }),
    });
    expect(form.status).toBe(200);
    const body = (await form.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe('messages:read');
    expect(await (await fetch(`${t.url}/v1/auth/me`, bearer(body.access_token))).json()).toMatchObject({ scopes: ['messages:read'] });

    const tooMuch = await fetch(
      `${t.url}/v1/auth/token`,
      json({ grant_type: 'password', username: u.username, password: u.password, scope: 'admin' }),
    );
    expect(tooMuch.status).toBe(400);
    expect(await tooMuch.json()).toMatchObject({ error: 'invalid_scope', errors: [{ field: 'scope' }] });
  });

  it('states the username and password rules in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/auth/register',
        '/v1/auth/token',
        '/v1/auth/refresh',
        '/v1/auth/logout',
        '/v1/clients',
        '/v1/clients/{client_id}',
        '/v1/users/{username}/channels/{channel}',
      ]),
    );
    const reg = doc.components.schemas.RegisterRequest!.properties;
    expect(reg.username).toMatchObject({ minLength: 3, maxLength: 32, pattern: expect.any(String) });
    expect(reg.password).toMatchObject({ minLength: 8, maxLength: 128 });
    expect(String(reg.password!.description)).toContain('control characters');
  });
});
