import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createApiClient, registerAndLogin, startTestFrontend } from '../../../../test/support/identity';

type Started = Awaited<ReturnType<typeof startTestFrontend>>;

const post = (body: unknown, token?: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  body: JSON.stringify(body),
});
const bearer = (token: string, method = 'GET') => ({ method, headers: { authorization: `Bearer ${token}` } });

describe('API clients (spawned frontend, real etcd and Redis)', () => {
  let t: Started;
  let admin: string;
  beforeAll(async () => {
    t = await startTestFrontend();
    admin = await adminToken(t.url, t.env);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the bootstrapped admin creates a client whose secret is shown once', async () => {
    const res = await fetch(
      `${t.url}/v1/clients`,
      post({ name: 'CRM', scopes: ['messages:send', 'messages:read'], sender_name: 'crm-bot', rate_limit_per_min: 500 }, admin),
    );
    expect(res.status).toBe(201);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).toMatchObject({
      name: 'CRM',
      scopes: ['messages:send', 'messages:read'],
      sender_name: 'crm-bot',
      rate_limit_per_min: 500,
    });
    expect(created.client_secret).toMatch(/^cs_/);
    expect(res.headers.get('location')).toBe(`/v1/clients/${created.client_id}`);

    const list = await fetch(`${t.url}/v1/clients`, bearer(admin));
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).toContain(created.client_id as string);
    expect(text).not.toContain(created.client_secret as string);
    expect(text).not.toContain('secret');
  });

  it('client credentials give a token with exactly the client scopes and its sender name', async () => {
    const c = await createApiClient(t.url, admin, ['messages:send'], { sender_name: 'shop' });
    const me = await (await fetch(`${t.url}/v1/auth/me`, bearer(c.accessToken))).json();
    expect(me).toEqual({ kind: 'client', subject: c.clientId, scopes: ['messages:send'], sender_name: 'shop' });

    // HTTP Basic credentials, form body: how OAuth libraries call the token endpoint.
    const basic = Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64');
    const viaBasic = await fetch(`${t.url}/v1/auth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(viaBasic.status).toBe(200);
    const basicBody = (await viaBasic.json()) as Record<string, unknown>;
    expect(basicBody).toMatchObject({ token_type: 'Bearer', scope: 'messages:send' });
    expect(basicBody.refresh_token).toBeUndefined();

    const wrong = await fetch(
      `${t.url}/v1/auth/token`,
      post({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'cs_wrong' }),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('denies admin operations without the admin scope (403), to users and other clients', async () => {
    const client = await createApiClient(t.url, admin, ['messages:send', 'webhooks:manage']);
    const user = await registerAndLogin(t.url);
    for (const token of [client.accessToken, user.accessToken]) {
      const res = await fetch(`${t.url}/v1/clients`, post({ name: 'sneaky', scopes: ['admin'] }, token));
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({ required_scope: 'admin' });
      expect((await fetch(`${t.url}/v1/clients`, bearer(token))).status).toBe(403);
      expect((await fetch(`${t.url}/v1/clients/${client.clientId}`, bearer(token, 'DELETE'))).status).toBe(403);
    }
    // Nothing was created by the refused calls.
    const names = ((await (await fetch(`${t.url}/v1/clients`, bearer(admin))).json()) as { clients: Array<{ name: string }> }).clients.map(
      (c) => c.name,
    );
    expect(names).not.toContain('sneaky');
  });

  it('a client cannot get a token for scopes it was not granted', async () => {
    const c = await createApiClient(t.url, admin, ['messages:read']);
    const res = await fetch(
      `${t.url}/v1/auth/token`,
      post({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: 'messages:read admin' }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_scope', errors: [{ field: 'scope', message: 'not granted: admin' }] });
  });

  it('deleting a client makes its tokens stop working at once', async () => {
    const c = await createApiClient(t.url, admin, ['messages:send']);
    expect((await fetch(`${t.url}/v1/auth/me`, bearer(c.accessToken))).status).toBe(200);
    expect((await fetch(`${t.url}/v1/clients/${c.clientId}`, bearer(admin, 'DELETE'))).status).toBe(204);
    const after = await fetch(`${t.url}/v1/auth/me`, bearer(c.accessToken));
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ detail: expect.stringContaining('deleted') });
    const token = await fetch(
      `${t.url}/v1/auth/token`,
      post({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }),
    );
    expect(token.status).toBe(401);
    expect((await fetch(`${t.url}/v1/clients/${c.clientId}`, bearer(admin, 'DELETE'))).status).toBe(404);
  });

  it('the admin client cannot delete itself', async () => {
    const res = await fetch(`${t.url}/v1/clients/${t.admin.clientId}`, bearer(admin, 'DELETE'));
    expect(res.status).toBe(409);
    expect((await fetch(`${t.url}/v1/clients`, bearer(admin))).status).toBe(200);
  });

  it('rejects bad client definitions naming the field, and stores nothing', async () => {
    const before = ((await (await fetch(`${t.url}/v1/clients`, bearer(admin))).json()) as { clients: unknown[] }).clients.length;
    const cases: Array<[unknown, string]> = [
      [{ name: 'x', scopes: ['root'] }, 'scopes.0'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: '', scopes: ['admin'] }, 'name'],
      [{ name: 'x', scopes: ['admin'], rate_limit_per_min: 0 }, 'rate_limit_per_min'],
      [{ name: 'x', scopes: ['admin'], sender_name: 'Bad Name' }, 'sender_name'],
      [{ name: 'x', scopes: ['admin'], secret: 'mine' }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const res = await fetch(`${t.url}/v1/clients`, post(body, admin));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toContain(field);
    }
    const badId = await fetch(`${t.url}/v1/clients/a%2Fb`, bearer(admin, 'DELETE'));
    expect(badId.status).toBe(400);
    const after = ((await (await fetch(`${t.url}/v1/clients`, bearer(admin))).json()) as { clients: unknown[] }).clients.length;
    expect(after).toBe(before);
  });
});
