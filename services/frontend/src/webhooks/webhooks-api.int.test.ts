import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdKeys } from '@hub/domain';
import { EtcdStore } from '@hub/platform';
import { adminToken, createApiClient, startTestFrontend } from '../../../../test/support/identity';

// /v1/webhooks on a spawned frontend (real etcd, MongoDB, Redis), called the
// way a business system calls it: with an API client's token.

type Started = Awaited<ReturnType<typeof startTestFrontend>>;
type Json = Record<string, any>;

let t: Started;
let token: string;
let clientId: string;

beforeAll(async () => {
  t = await startTestFrontend({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32', WEBHOOK_MAX_PER_CLIENT: '4', WEBHOOK_SECRET_GRACE_S: '3600' });
  const admin = await adminToken(t.url, t.env);
  const client = await createApiClient(t.url, admin, ['webhooks:manage', 'messages:send']);
  token = client.accessToken;
  clientId = client.clientId;
});
afterAll(async () => {
  await t?.stop();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

const hook = { url: 'http://127.0.0.1:9/hooks', events: ['message.sent', 'message.failed'], description: 'CRM status feed' };

describe('webhook registrations', () => {
  it('registers a webhook and shows its secret once', async () => {
    const created = await call('POST', '/v1/webhooks', hook);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: hook.url,
      events: hook.events,
      description: hook.description,
      active: true,
      owner: clientId,
    });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.headers.get('location')).toBe(`/v1/webhooks/${created.body.webhook_id}`);
    expect(created.headers.get('cache-control')).toBe('no-store');

    const one = await call('GET', `/v1/webhooks/${created.body.webhook_id}`);
    expect(one.status).toBe(200);
    const { secret: _secret, ...withoutSecret } = created.body;
    expect(one.body).toEqual(withoutSecret);
    expect(JSON.stringify(one.body)).not.toContain('whsec_');
    const list = await call('GET', '/v1/webhooks');
    expect(list.body.webhooks.map((w: Json) => w.webhook_id)).toContain(created.body.webhook_id);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    // At rest the secret is sealed with WEBHOOK_SECRETS_KEY: a reader of etcd cannot sign as the hub.
    const kv = new EtcdStore({ hosts: t.env.ETCD_HOSTS!.split(','), namespace: t.env.ETCD_NAMESPACE! });
    try {
      const stored = JSON.stringify(await kv.get(EtcdKeys.webhook(clientId, created.body.webhook_id)));
      expect(stored).toContain(created.body.webhook_id);
      expect(stored).not.toContain(created.body.secret.slice('whsec_'.length));
    } finally {
      kv.close();
    }
    await call('DELETE', `/v1/webhooks/${created.body.webhook_id}`);
  });

  it('changes url, events, description and active with PATCH', async () => {
    const { body: w } = await call('POST', '/v1/webhooks', hook);
    const patched = await call('PATCH', `/v1/webhooks/${w.webhook_id}`, {
      url: 'http://127.0.0.1:10/v2',
      events: ['*'],
      description: null,
      active: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ url: 'http://127.0.0.1:10/v2', events: ['*'], active: false });
    expect(patched.body.description).toBeUndefined();
    expect(patched.body.updated_at > w.updated_at).toBe(true);
    expect((await call('GET', `/v1/webhooks/${w.webhook_id}`)).body).toMatchObject({ url: 'http://127.0.0.1:10/v2', active: false });
    // A paused webhook cannot be pinged or re-sent to.
    const ping = await call('POST', `/v1/webhooks/${w.webhook_id}/test`);
    expect(ping.status).toBe(409);
    expect(ping.body.detail).toMatch(/paused; PATCH it with \{"active": true\} first/);
    expect((await call('PATCH', `/v1/webhooks/${w.webhook_id}`, { active: true })).body.active).toBe(true);
    await call('DELETE', `/v1/webhooks/${w.webhook_id}`);
  });

  it('deletes a webhook', async () => {
    const { body: w } = await call('POST', '/v1/webhooks', hook);
    expect((await call('DELETE', `/v1/webhooks/${w.webhook_id}`)).status).toBe(204);
    expect((await call('GET', `/v1/webhooks/${w.webhook_id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/webhooks/${w.webhook_id}`)).status).toBe(404);
    expect((await call('GET', '/v1/webhooks')).body.webhooks.map((x: Json) => x.webhook_id)).not.toContain(w.webhook_id);
  });

  it('rotates the secret, keeping the old one for the grace period', async () => {
    const { body: w } = await call('POST', '/v1/webhooks', hook);
    const before = Date.now();
    const rotated = await call('POST', `/v1/webhooks/${w.webhook_id}/rotate-secret`, { grace_period_s: 60 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(w.secret);
    const expires = Date.parse(rotated.body.previous_secret_expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 59_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(rotated.body.secret_rotated_at).toBeTruthy();
    expect(rotated.headers.get('cache-control')).toBe('no-store');

    // No body: the configured default grace (1 h here).
    const again = await call('POST', `/v1/webhooks/${w.webhook_id}/rotate-secret`);
    expect(again.status).toBe(200);
    expect(Date.parse(again.body.previous_secret_expires_at)).toBeGreaterThan(Date.now() + 3_500_000);
    // Grace 0 retires the old secret at once.
    const now = await call('POST', `/v1/webhooks/${w.webhook_id}/rotate-secret`, { grace_period_s: 0 });
    expect(now.body.previous_secret_expires_at).toBeUndefined();
    expect(JSON.stringify((await call('GET', `/v1/webhooks/${w.webhook_id}`)).body)).not.toContain('whsec_');
    await call('DELETE', `/v1/webhooks/${w.webhook_id}`);
  });

  it('refuses more webhooks than a client may have', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await call('POST', '/v1/webhooks', hook);
      expect(r.status).toBe(201);
      ids.push(r.body.webhook_id);
    }
    const fifth = await call('POST', '/v1/webhooks', hook);
    expect(fifth.status).toBe(409);
    expect(fifth.body.detail).toMatch(/at most 4 webhooks/);
    for (const id of ids) await call('DELETE', `/v1/webhooks/${id}`);
  });
});

describe('test events and the delivery log', () => {
  it('queues a ping, lists deliveries newest first by pages, and re-sends one', async () => {
    const { body: w } = await call('POST', '/v1/webhooks', hook);
    expect((await call('GET', `/v1/webhooks/${w.webhook_id}/deliveries`)).body).toEqual({ deliveries: [] });
    const pings: Json[] = [];
    for (let i = 0; i < 3; i++) {
      const ping = await call('POST', `/v1/webhooks/${w.webhook_id}/test`);
      expect(ping.status).toBe(202);
      expect(ping.body).toMatchObject({
        webhook_id: w.webhook_id,
        event_type: 'webhook.ping',
        state: 'pending',
        attempt_count: 0,
        max_attempts: 1,
      });
      expect(ping.body.event_id).toMatch(/^msg_/);
      expect(ping.body.payload).toMatchObject({ type: 'webhook.ping', data: { webhook_id: w.webhook_id } });
      expect(ping.headers.get('location')).toBe(`/v1/webhooks/${w.webhook_id}/deliveries/${ping.body.delivery_id}`);
      pings.push(ping.body);
    }
    const page1 = await call('GET', `/v1/webhooks/${w.webhook_id}/deliveries?limit=2`);
    expect(page1.body.deliveries.map((d: Json) => d.delivery_id)).toEqual([pings[2]!.delivery_id, pings[1]!.delivery_id]);
    expect(page1.body.next_cursor).toBe(pings[1]!.delivery_id);
    const page2 = await call('GET', `/v1/webhooks/${w.webhook_id}/deliveries?limit=2&cursor=${page1.body.next_cursor}`);
    expect(page2.body.deliveries.map((d: Json) => d.delivery_id)).toEqual([pings[0]!.delivery_id]);
    expect(page2.body.next_cursor).toBeUndefined();
    expect((await call('GET', `/v1/webhooks/${w.webhook_id}/deliveries?state=succeeded`)).body.deliveries).toEqual([]);

    const one = await call('GET', `/v1/webhooks/${w.webhook_id}/deliveries/${pings[0]!.delivery_id}`);
    expect(one.body).toMatchObject({ delivery_id: pings[0]!.delivery_id, state: 'pending' });
    const retried = await call('POST', `/v1/webhooks/${w.webhook_id}/deliveries/${pings[0]!.delivery_id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ delivery_id: pings[0]!.delivery_id, state: 'pending' });
    expect((await call('POST', `/v1/webhooks/${w.webhook_id}/deliveries/0190f5c4-0000-7000-8000-000000000001/retry`)).status).toBe(404);
    expect((await call('GET', `/v1/webhooks/${w.webhook_id}/deliveries/0190f5c4-0000-7000-8000-000000000001`)).status).toBe(404);
    await call('DELETE', `/v1/webhooks/${w.webhook_id}`);
    // The log goes with the webhook as far as the API is concerned.
    expect((await call('GET', `/v1/webhooks/${w.webhook_id}/deliveries`)).status).toBe(404);
  });
});

describe('bad input: 4xx problem+json naming what is wrong', () => {
  const bad = async (method: string, path: string, body: unknown, status: number, detail: RegExp, headers: Record<string, string> = {}) => {
    const r = await call(method, path, body, headers);
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.body.detail).toMatch(detail);
    return r.body;
  };

  it.each([
    ['malformed JSON', '{"url": ', /not valid JSON/],
    ['an unknown field', { ...hook, secret: 'mine' }, /unknown field\(s\): secret/],
    [
      'an unknown event name',
      { ...hook, events: ['message.sent', 'message.exploded'] },
      /events\.1: unknown event "message.exploded"; known events: message\.accepted/,
    ],
    ['no events', { ...hook, events: [] }, /events: must name at least one event/],
    ['repeated events', { ...hook, events: ['message.sent', 'message.sent'] }, /must not repeat/],
    ['a missing url', { events: ['*'] }, /url/],
    ['a malformed url', { ...hook, url: 'not a url' }, /url: is not a valid absolute URL/],
    ['a relative url', { ...hook, url: '/hooks' }, /url: is not a valid absolute URL/],
    ['an ftp url', { ...hook, url: 'ftp://example.com/x' }, /url: scheme "ftp" is not allowed; use https/],
    ['a file url', { ...hook, url: 'file:///etc/passwd' }, /url: scheme "file" is not allowed/],
    ['a javascript url', { ...hook, url: 'javascript:alert(1)' }, /scheme "javascript" is not allowed/],
    ['credentials in the url', { ...hook, url: 'http://user:pw@127.0.0.1:9/x' }, /user name or password/],
    ['an over-long description', { ...hook, description: 'd'.repeat(201) }, /description: must be at most 200/],
  ])('refuses %s on create', async (_what, body, detail) => {
    const problem = await bad('POST', '/v1/webhooks', body, 400, detail);
    // Schema and URL problems name the field; a body that is not JSON has no fields to name.
    if (typeof body !== 'string') expect(problem.errors?.length ?? 0).toBeGreaterThan(0);
  });

  it('names the field in errors[]', async () => {
    const problem = await bad('POST', '/v1/webhooks', { ...hook, url: 'gopher://x' }, 400, /url/);
    expect(problem.errors).toEqual([{ field: 'url', message: 'scheme "gopher" is not allowed; use https' }]);
  });

  it('refuses a body that is not JSON (415) and a non-UUID id (400)', async () => {
    await bad('POST', '/v1/webhooks', 'url=x', 415, /Content-Type must be application\/json/, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    await bad('GET', '/v1/webhooks/not-a-uuid', undefined, 400, /path: id: must be a UUID/);
    await bad('GET', '/v1/webhooks/0190f5c4-0000-7000-8000-000000000001/deliveries/nope', undefined, 400, /delivery_id: must be a UUID/);
  });

  it('refuses bad PATCH, rotation and list parameters', async () => {
    const { body: w } = await call('POST', '/v1/webhooks', hook);
    await bad('PATCH', `/v1/webhooks/${w.webhook_id}`, {}, 400, /name at least one of url, events, description, active/);
    await bad('PATCH', `/v1/webhooks/${w.webhook_id}`, { active: 'yes' }, 400, /active/);
    await bad('PATCH', `/v1/webhooks/${w.webhook_id}`, { url: 'ws://127.0.0.1/x' }, 400, /scheme "ws" is not allowed/);
    await bad(
      'POST',
      `/v1/webhooks/${w.webhook_id}/rotate-secret`,
      { grace_period_s: 8 * 86_400 },
      400,
      /grace_period_s: must be at most 604800/,
    );
    await bad('POST', `/v1/webhooks/${w.webhook_id}/rotate-secret`, { grace: 1 }, 400, /unknown field/);
    await bad('GET', `/v1/webhooks/${w.webhook_id}/deliveries?limit=500`, undefined, 400, /query: limit/);
    await bad('GET', `/v1/webhooks/${w.webhook_id}/deliveries?state=lost`, undefined, 400, /query: state/);
    await bad('GET', `/v1/webhooks/${w.webhook_id}/deliveries?cursor=x`, undefined, 400, /query: cursor: must be a UUID/);
    await bad('GET', `/v1/webhooks/${w.webhook_id}/deliveries?page=2`, undefined, 400, /unknown field\(s\): page/);
    // The registration did not change.
    expect((await call('GET', `/v1/webhooks/${w.webhook_id}`)).body).toMatchObject({ url: hook.url, events: hook.events, active: true });
    await call('DELETE', `/v1/webhooks/${w.webhook_id}`);
  });
});

describe('OpenAPI document', () => {
  it('documents every webhook operation and the event names', async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as Json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhooks',
        '/v1/webhooks/{id}',
        '/v1/webhooks/{id}/rotate-secret',
        '/v1/webhooks/{id}/test',
        '/v1/webhooks/{id}/deliveries',
        '/v1/webhooks/{id}/deliveries/{delivery_id}',
        '/v1/webhooks/{id}/deliveries/{delivery_id}/retry',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/webhooks/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    const events = doc.components.schemas.CreateWebhookRequest.properties.events;
    expect(events.items.enum).toEqual([
      'message.accepted',
      'message.pending',
      'message.retrying',
      'message.sent',
      'message.delivered',
      'message.read',
      'message.failed',
      'file.completed',
      '*',
    ]);
    expect(events.description).toMatch(/webhook\.ping/);
  });
});
