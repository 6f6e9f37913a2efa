import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '@hub/platform';
import { adminToken, createApiClient, registerAndLogin, startTestFrontend } from '../../../../test/support/identity';

type Started = Awaited<ReturnType<typeof startTestFrontend>>;

describe('logs of identity operations carry no credentials (spawned frontend)', () => {
  let t: Started;
  beforeAll(async () => {
    // debug level: whatever the service logs at any level is checked.
    t = await startTestFrontend({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('register, login, refresh, reuse, logout and client creation leave no password, token, secret or hash in the output', async () => {
    const from = t.fe.output.length;
    const u = await registerAndLogin(t.url);
    const rotated = (await (
      await fetch(`${t.url}/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: u.refreshToken }),
      })
    ).json()) as { access_token: string; refresh_token: string };
    // A failed login and a refresh-token reuse: the paths that log security events.
    await fetch(`${t.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: u.username, password: `${u.password}-wrong` }),
    });
    await fetch(`${t.url}/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: u.refreshToken }),
    });
    const admin = await adminToken(t.url, t.env);
    const client = await createApiClient(t.url, admin, ['messages:send']);
    await fetch(`${t.url}/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${rotated.access_token}` } });

    const kv = new EtcdStore({ hosts: t.env.ETCD_HOSTS!.split(','), namespace: t.env.ETCD_NAMESPACE! });
    const stored = (await kv.get<{ password_hash: string }>(`users/${u.username}`))!;
    const storedClient = (await kv.get<{ secret_hash: string }>(`clients/${client.clientId}`))!;
    kv.close();

    await new Promise((r) => setTimeout(r, 200)); // let the last lines arrive
    const logs = t.fe.output.slice(from).join('\n');
    // The operations did log (so the absence below means something).
    expect(logs).toContain('"event":"auth.login"');
    expect(logs).toContain('"event":"security.refresh_token_reuse"');
    expect(logs).toContain(u.username);

    const secrets = {
      password: u.password,
      wrongPassword: `${u.password}-wrong`,
      accessToken: u.accessToken,
      refreshToken: u.refreshToken,
      rotatedAccess: rotated.access_token,
      rotatedRefresh: rotated.refresh_token,
      adminSecret: t.admin.clientSecret,
      adminToken: admin,
      clientSecret: client.clientSecret,
      clientToken: client.accessToken,
      passwordHash: stored.password_hash,
      secretHash: storedClient.secret_hash,
    };
    for (const [what, value] of Object.entries(secrets)) {
      expect(value.length, what).toBeGreaterThan(10);
      expect(logs.includes(value), `${what} appears in the logs`).toBe(false);
      // Not even a recognisable piece of a token or hash.
      expect(logs.includes(value.slice(-24)), `the tail of ${what} appears in the logs`).toBe(false);
    }
    expect(logs).not.toMatch(/\$argon2id\$/);
    expect(logs).not.toMatch(/\brt_[A-Za-z0-9_-]{20,}/);
    expect(logs).not.toMatch(/\bcs_[A-Za-z0-9_-]{20,}/);
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});
