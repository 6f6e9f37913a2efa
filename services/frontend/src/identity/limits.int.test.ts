import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  createApiClient,
  randomUsername,
  registerAndLogin,
  startTestFrontend,
  testPassword,
} from '../../../../test/support/identity';

type Started = Awaited<ReturnType<typeof startTestFrontend>>;

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('rate limits (spawned frontend, counters in real Redis)', () => {
  let t: Started;
  beforeAll(async () => {
    // Small limits so the test reaches them quickly; X-Forwarded-For lets each test be its own "IP".
    t = await startTestFrontend({
      RATE_LIMIT_PER_MIN: '5',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      LOGIN_MAX_ATTEMPTS_PER_IP: '10',
      LOGIN_ACCOUNT_SLOWDOWN_AFTER: '6',
      LOGIN_ACCOUNT_SLOWDOWN_MS: '1500',
      TRUST_PROXY: 'true',
    });
  });
  afterAll(async () => {
    await t?.stop();
  });
  let ip = 0;
  const asIp = () => ({ 'x-forwarded-for': `198.51.100.${++ip}` });

  it('a user gets RateLimit headers, then 429 with Retry-After past the per-minute limit', async () => {
    const u = await registerAndLogin(t.url);
    const seen: Array<[number, string | null]> = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${t.url}/v1/auth/me`, bearer(u.accessToken));
      seen.push([res.status, res.headers.get('ratelimit-remaining')]);
      expect(res.headers.get('ratelimit-limit')).toBe('5');
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    }
    expect(seen).toEqual([
      [200, '4'],
      [200, '3'],
      [200, '2'],
      [200, '1'],
      [200, '0'],
    ]);
    const refused = await fetch(`${t.url}/v1/auth/me`, bearer(u.accessToken));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(await refused.json()).toMatchObject({ status: 429, type: expect.stringContaining('rate-limited') });
    // Another user has their own budget.
    const other = await registerAndLogin(t.url);
    expect((await fetch(`${t.url}/v1/auth/me`, bearer(other.accessToken))).status).toBe(200);
  });

  it("a client's own limit overrides the default", async () => {
    const admin = await adminToken(t.url, t.env);
    const roomy = await createApiClient(t.url, admin, ['messages:read'], { rate_limit_per_min: 8 });
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await fetch(`${t.url}/v1/auth/me`, bearer(roomy.accessToken))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);
  });

  const token = (username: string, password: string, from: Record<string, string>) =>
    fetch(`${t.url}/v1/auth/token`, post({ grant_type: 'password', username, password }, from));

  // Issue 22, finding 5: ten wrong passwords used to lock any account for everyone.
  it("failed logins lock the guessing address out of that account (the right password too), never the owner's address", async () => {
    const username = randomUsername();
    const password = testPassword();
    expect((await fetch(`${t.url}/v1/auth/register`, post({ username, password }, asIp()))).status).toBe(201);
    const attacker = asIp();
    for (let i = 0; i < 3; i++) expect((await token(username, 'wrong-password', attacker)).status).toBe(401);
    const locked = await token(username, password, attacker);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The owner, from their own address, logs in at once.
    const owner = asIp();
    const started = Date.now();
    expect((await token(username, password, owner)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    // The attacker's address is still refused for that account.
    expect((await token(username, password, attacker)).status).toBe(429);
    expect(((await locked.json()) as { detail: string }).detail).toMatch(/too many failed logins for this account from this address/);
  });

  it('failures from many addresses slow the account down but never refuse the right password', async () => {
    const username = randomUsername();
    const password = testPassword();
    expect((await fetch(`${t.url}/v1/auth/register`, post({ username, password }, asIp()))).status).toBe(201);
    // Six addresses, one wrong password each: no address reaches its own limit, the account reaches LOGIN_ACCOUNT_SLOWDOWN_AFTER.
    for (let i = 0; i < 6; i++) expect((await token(username, 'wrong-password', asIp())).status).toBe(401);
    const started = Date.now();
    const res = await token(username, password, asIp());
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    // A wrong password is held just as long, and other accounts are not slowed.
    const wrongStarted = Date.now();
    expect((await token(username, 'wrong-password', asIp())).status).toBe(401);
    expect(Date.now() - wrongStarted).toBeGreaterThanOrEqual(1500);
    const other = await registerAndLogin(t.url);
    const otherStarted = Date.now();
    expect((await token(other.username, other.password, asIp())).status).toBe(200);
    expect(Date.now() - otherStarted).toBeLessThan(1500);
  });

  it("a successful login clears its address's failure count", async () => {
    const username = randomUsername();
    const password = testPassword();
    await fetch(`${t.url}/v1/auth/register`, post({ username, password }, asIp()));
    const from = asIp();
    // Two failures and a success, twice, from one address: without the clearing the fourth failure would lock it out.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 2; i++) expect((await token(username, 'wrong-password', from)).status).toBe(401);
      expect((await token(username, password, from)).status).toBe(200);
    }
  });

  it('authentication requests are limited per client IP', async () => {
    const from = asIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await fetch(`${t.url}/v1/auth/token`, post({ grant_type: 'password', username: randomUsername(), password: 'whatever-pw' }, from)))
          .status,
      );
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    const reg = await fetch(`${t.url}/v1/auth/register`, post({ username: randomUsername(), password: testPassword() }, from));
    expect(reg.status).toBe(429);
    expect(reg.headers.get('retry-after')).toBeTruthy();
    // Another address is not affected.
    expect((await fetch(`${t.url}/v1/auth/register`, post({ username: randomUsername(), password: testPassword() }, asIp()))).status).toBe(
      201,
    );
  });
});
