import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  createApiClient,
  randomUsername,
  registerAndLogin,
  startTestFrontend,
  type TestUser,
} from '../../../../test/support/identity';

type Started = Awaited<ReturnType<typeof startTestFrontend>>;

const put = (body: unknown, token: string) => ({
  method: 'PUT',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify(body),
});
const bearer = (token: string, method = 'GET') => ({ method, headers: { authorization: `Bearer ${token}` } });

describe('channel mappings (spawned frontend, real etcd and Redis)', () => {
  let t: Started;
  let admin: string;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await startTestFrontend();
    admin = await adminToken(t.url, t.env);
    [alice, bob] = await Promise.all([registerAndLogin(t.url), registerAndLogin(t.url)]);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const url = (user: string, channel = '') => `${t.url}/v1/users/${user}/channels${channel ? `/${channel}` : ''}`;

  it('a user links, reads, lists and removes their own mappings', async () => {
    const created = await fetch(url(alice.username, 'telegram'), put({ chat_id: 123456789 }, alice.accessToken));
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      username: alice.username,
      channel: 'telegram',
      chat_id: 123456789,
      external_id: '123456789',
    });
    expect((await fetch(url(alice.username, 'telegram'), put({ chat_id: 123456789 }, alice.accessToken))).status).toBe(200);
    expect((await fetch(url(alice.username, 'whatsapp'), put({ phone: '+14155550100' }, alice.accessToken))).status).toBe(201);

    const one = await fetch(url(alice.username, 'telegram'), bearer(alice.accessToken));
    expect(await one.json()).toMatchObject({ chat_id: 123456789 });
    const list = (await (await fetch(url(alice.username), bearer(alice.accessToken))).json()) as { channels: Array<{ channel: string }> };
    expect(list.channels.map((m) => m.channel)).toEqual(['telegram', 'whatsapp']);

    expect((await fetch(url(alice.username, 'whatsapp'), bearer(alice.accessToken, 'DELETE'))).status).toBe(204);
    expect((await fetch(url(alice.username, 'whatsapp'), bearer(alice.accessToken))).status).toBe(404);
    expect((await fetch(url(alice.username, 'whatsapp'), bearer(alice.accessToken, 'DELETE'))).status).toBe(404);
  });

  it("a user may not read or change another user's mappings (403)", async () => {
    await fetch(url(bob.username, 'instagram'), put({ external_id: 'bob-ig' }, bob.accessToken));
    for (const [path, init] of [
      [url(bob.username, 'instagram'), bearer(alice.accessToken)],
      [url(bob.username), bearer(alice.accessToken)],
      [url(bob.username, 'instagram'), put({ external_id: 'stolen' }, alice.accessToken)],
      [url(bob.username, 'instagram'), bearer(alice.accessToken, 'DELETE')],
    ] as const) {
      const res = await fetch(path, init);
      expect(res.status, `${init.method} ${path}`).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await (await fetch(url(bob.username, 'instagram'), bearer(bob.accessToken))).json()).toMatchObject({ external_id: 'bob-ig' });
  });

  it('an admin client manages anyone; a client without admin may not (403)', async () => {
    const res = await fetch(url(bob.username, 'messenger'), put({ external_id: 'psid-1' }, admin));
    expect(res.status).toBe(201);
    expect(await (await fetch(url(bob.username, 'messenger'), bearer(bob.accessToken))).json()).toMatchObject({ external_id: 'psid-1' });
    expect((await fetch(url(randomUsername(), 'messenger'), put({ external_id: 'psid-2' }, admin))).status).toBe(404);

    const sender = await createApiClient(t.url, admin, ['messages:send', 'messages:read']);
    const denied = await fetch(url(bob.username, 'messenger'), bearer(sender.accessToken));
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ required_scope: 'admin' });
  });

  it('one external id belongs to one user: a second user gets 409', async () => {
    await fetch(url(alice.username, 'messenger'), put({ external_id: 'shared-psid' }, alice.accessToken));
    const res = await fetch(url(bob.username, 'messenger'), put({ external_id: 'shared-psid' }, bob.accessToken));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ errors: [{ field: 'external_id' }] });
    // bob keeps his earlier mapping.
    expect(await (await fetch(url(bob.username, 'messenger'), bearer(bob.accessToken))).json()).toMatchObject({ external_id: 'psid-1' });
  });

  it('validates each channel, naming the field, and stores nothing on refusal', async () => {
    const carol = await registerAndLogin(t.url);
    const cases: Array<[string, unknown, string]> = [
      ['telegram', { chat_id: 12.5 }, 'chat_id'],
      ['telegram', { chat_id: '123' }, 'chat_id'],
      ['telegram', {}, 'chat_id'],
      ['telegram', { chat_id: 1, extra: true }, 'extra'],
      ['whatsapp', { phone: '4155550100' }, 'phone'],
      ['instagram', { external_id: '' }, 'external_id'],
      ['messenger', { external_id: 'x'.repeat(65) }, 'external_id'],
    ];
    for (const [channel, body, field] of cases) {
      const res = await fetch(url(carol.username, channel), put(body, carol.accessToken));
      expect(res.status, `${channel} ${JSON.stringify(body)}`).toBe(400);
      expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe(field);
    }
    const unknownChannel = await fetch(url(carol.username, 'internal'), put({ chat_id: 1 }, carol.accessToken));
    expect(unknownChannel.status).toBe(400);
    expect(((await unknownChannel.json()) as { errors: Array<{ field: string }> }).errors[0]!.field).toBe('channel');
    const list = (await (await fetch(url(carol.username), bearer(carol.accessToken))).json()) as { channels: unknown[] };
    expect(list.channels).toEqual([]);
  });
});
