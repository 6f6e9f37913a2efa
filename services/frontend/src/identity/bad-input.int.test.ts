import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '@hub/platform';
import { registerAndLogin, startTestFrontend, type TestUser } from '../../../../test/support/identity';

type Started = Awaited<ReturnType<typeof startTestFrontend>>;
type Problem = { type: string; status: number; detail: string; errors?: Array<{ field: string; message: string }> };

const LIMIT = 4096;

describe('identity endpoints refuse bad input with problem+json (spawned frontend)', () => {
  let t: Started;
  let kv: EtcdStore;
  let user: TestUser;
  beforeAll(async () => {
    t = await startTestFrontend({ MAX_BODY_BYTES: String(LIMIT) });
    kv = new EtcdStore({ hosts: t.env.ETCD_HOSTS!.split(','), namespace: t.env.ETCD_NAMESPACE! });
    user = await registerAndLogin(t.url);
  });
  afterAll(async () => {
    kv?.close();
    await t?.stop();
  });

  const send = (path: string, body: string, contentType = 'application/json', method = 'POST', token?: string) =>
    fetch(`${t.url}${path}`, {
      method,
      headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  async function expectProblem(res: Response, status: number, field?: string): Promise<Problem> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const p = (await res.json()) as Problem;
    expect(p.status).toBe(status);
    if (field)
      expect(
        p.errors?.map((e) => e.field),
        JSON.stringify(p),
      ).toContain(field);
    return p;
  }

  const storedUsers = async () => [...(await kv.list('users/')).keys()].sort();

  it('registration: each bad body gets 400 naming the field, and no user is stored', async () => {
    const before = await storedUsers();
    const cases: Array<[unknown, string]> = [
      [{ username: '', password: 'long enough pw' }, 'username'],
      [{ username: 'a'.repeat(200), password: 'long enough pw' }, 'username'],
      [{ username: 'UPPER', password: 'long enough pw' }, 'username'],
      [{ username: 'new-user-1', password: 'short' }, 'password'],
      [{ username: 'new-user-2', password: 12345678 }, 'password'],
      [{ username: 'new-user-3', password: 'long enough pw', role: 'admin' }, 'role'],
      [{ username: 'new-user-4' }, 'password'],
      [['new-user-5', 'long enough pw'], '(body)'],
    ];
    for (const [body, field] of cases) await expectProblem(await send('/v1/auth/register', JSON.stringify(body)), 400, field);
    expect(await storedUsers()).toEqual(before);
  });

  it('malformed JSON is 400, another content type 415, an oversized body 413', async () => {
    const before = await storedUsers();
    const malformed = await expectProblem(await send('/v1/auth/register', '{"username": "x",'), 400);
    expect(malformed.type).toContain('invalid-json');
    await expectProblem(await send('/v1/auth/register', 'username=x', 'text/plain'), 415);
    const big = JSON.stringify({ username: 'big-user', password: 'p'.repeat(LIMIT) });
    const tooLarge = await expectProblem(await send('/v1/auth/register', big), 413);
    expect(tooLarge).toMatchObject({ limit_bytes: LIMIT });
    // Chunked, without Content-Length: still cut off at the limit.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = await fetch(`${t.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(chunked, 413);
    expect(await storedUsers()).toEqual(before);
  });

  it('token requests: unknown grant, missing or mistyped fields, repeated form fields', async () => {
    await expectProblem(await send('/v1/auth/token', JSON.stringify({ grant_type: 'implicit' })), 400, 'grant_type');
    await expectProblem(
      await send('/v1/auth/token', JSON.stringify({ username: user.username, password: user.password })),
      400,
      'grant_type',
    );
    await expectProblem(
      await send('/v1/auth/token', JSON.stringify({ grant_type: 'password', username: user.username, password: 42 })),
      400,
      'password',
    );
    await expectProblem(
      await send(
        '/v1/auth/token',
        JSON.stringify({ grant_type: 'password', username: user.username, password: user.password, remember: true }),
      ),
      400,
      'remember',
    );
    await expectProblem(
      await send('/v1/auth/token', JSON.stringify({ grant_type: 'client_credentials', client_secret: 'x' })),
      400,
      'client_id',
    );
    await expectProblem(
      await send(
        '/v1/auth/token',
        `grant_type=password&username=${user.username}&password=a&password=b`,
        'application/x-www-form-urlencoded',
      ),
      400,
      'password',
    );
    await expectProblem(await send('/v1/auth/refresh', JSON.stringify({ refresh_token: '' })), 400, 'refresh_token');
    await expectProblem(await send('/v1/auth/refresh', JSON.stringify({ refresh_token: 'rt_never-issued' })), 401);
  });

  it('channel mappings: a non-integer Telegram id is 400 naming chat_id, and nothing is stored', async () => {
    const path = `/v1/users/${user.username}/channels/telegram`;
    for (const body of ['{"chat_id": "12345"}', '{"chat_id": 1.5}', '{"chat_id": 123, "note": "x"}', '{"chat_id": 1e400}']) {
      const res = await send(path, body, 'application/json', 'PUT', user.accessToken);
      expect(res.status, body).toBe(400);
    }
    await expectProblem(await send(path, '{"chat_id": "12345"}', 'application/json', 'PUT', user.accessToken), 400, 'chat_id');
    await expectProblem(await send(path, '{"chat_id": 12', 'application/json', 'PUT', user.accessToken), 400);
    await expectProblem(
      await send(`/v1/users/${'x'.repeat(40)}/channels/telegram`, '{"chat_id": 1}', 'application/json', 'PUT', user.accessToken),
      400,
      'username',
    );
    expect([...(await kv.list('mappings/')).keys()]).toEqual([]);
    expect([...(await kv.list('channel-index/')).keys()]).toEqual([]);
  });
});
