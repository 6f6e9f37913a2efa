import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnService, type ServiceProcess } from '../../../../test/support/spawn-service';
import { adminToken, cleanupTestEnv, createApiClient, registerAndLogin, testFrontendEnv } from '../../../../test/support/identity';

const bearer = (token: string, method = 'GET') => ({ method, headers: { authorization: `Bearer ${token}` } });

/** Polls every 20 ms; resolves with the elapsed milliseconds once check() holds, fails after 1 s. */
async function withinOneSecond(check: () => Promise<boolean>, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > 1_000) throw new Error(`${what}: not seen on the other instance within 1 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two frontend instances sharing etcd and Redis', () => {
  const env = testFrontendEnv();
  let a: ServiceProcess;
  let b: ServiceProcess;
  beforeAll(async () => {
    [a, b] = await Promise.all([spawnService('frontend', env), spawnService('frontend', env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cleanupTestEnv(env);
  });

  it('a channel mapping saved on A is served by B (from its watched cache) within a second', async () => {
    const u = await registerAndLogin(a.url);
    const put = await fetch(`${a.url}/v1/users/${u.username}/channels/telegram`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
      body: JSON.stringify({ chat_id: 4242 }),
    });
    expect(put.status).toBe(201);
    await withinOneSecond(
      async () => (await fetch(`${b.url}/v1/users/${u.username}/channels/telegram`, bearer(u.accessToken))).status === 200,
      'mapping',
    );
    expect((await fetch(`${a.url}/v1/users/${u.username}/channels/telegram`, bearer(u.accessToken, 'DELETE'))).status).toBe(204);
    await withinOneSecond(
      async () => (await fetch(`${b.url}/v1/users/${u.username}/channels/telegram`, bearer(u.accessToken))).status === 404,
      'mapping removal',
    );
  });

  it('an API client created on A is listed by B, and once deleted on A its token fails on B within a second', async () => {
    const adminA = await adminToken(a.url, env);
    const adminB = await adminToken(b.url, env);
    const c = await createApiClient(a.url, adminA, ['messages:send']);
    await withinOneSecond(
      async () => (await (await fetch(`${b.url}/v1/clients`, bearer(adminB))).text()).includes(c.clientId),
      'new client',
    );
    expect((await fetch(`${b.url}/v1/auth/me`, bearer(c.accessToken))).status).toBe(200);

    expect((await fetch(`${a.url}/v1/clients/${c.clientId}`, bearer(adminA, 'DELETE'))).status).toBe(204);
    await withinOneSecond(async () => (await fetch(`${b.url}/v1/auth/me`, bearer(c.accessToken))).status === 401, 'client deletion');
  });

  it('a logout on A ends the session on B at once, and rate limits count across both', async () => {
    const u = await registerAndLogin(a.url);
    expect((await fetch(`${b.url}/v1/auth/me`, bearer(u.accessToken))).status).toBe(200);
    const first = Number((await fetch(`${a.url}/v1/auth/me`, bearer(u.accessToken))).headers.get('ratelimit-remaining'));
    const second = Number((await fetch(`${b.url}/v1/auth/me`, bearer(u.accessToken))).headers.get('ratelimit-remaining'));
    expect(second).toBe(first - 1);

    expect((await fetch(`${a.url}/v1/auth/logout`, bearer(u.accessToken, 'POST'))).status).toBe(204);
    expect((await fetch(`${b.url}/v1/auth/me`, bearer(u.accessToken))).status).toBe(401);
    // A refresh token from A is rotated on B, and its reuse on A is detected.
    const v = await registerAndLogin(a.url);
    expect(
      (
        await fetch(`${b.url}/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: v.refreshToken }),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await fetch(`${a.url}/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: v.refreshToken }),
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${b.url}/v1/auth/me`, bearer(v.accessToken))).status).toBe(401);
  });
});
