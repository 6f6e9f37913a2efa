import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createApiClient, registerAndLogin, startTestFrontend, type TestApiClient } from '../../../../test/support/identity';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/support/webhook-receiver';

// Who may do what with webhooks, and where they may point. The allowlist
// names one unused loopback address (127.0.0.3) so that valid registrations
// need no public address; everything else on this machine or on a private
// network is refused, as in production.

type Started = Awaited<ReturnType<typeof startTestFrontend>>;
type Json = Record<string, any>;

let t: Started;
let admin: string;
let a: TestApiClient;
let b: TestApiClient;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  t = await startTestFrontend({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.3/32' });
  admin = await adminToken(t.url, t.env);
  a = await createApiClient(t.url, admin, ['webhooks:manage']);
  b = await createApiClient(t.url, admin, ['webhooks:manage']);
});
afterAll(async () => {
  await t?.stop();
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function call(token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

describe('authentication and scope', () => {
  it('needs a token (401) with the webhooks:manage scope (403); end users get 403', async () => {
    expect((await call(undefined, 'GET', '/v1/webhooks')).status).toBe(401);
    expect((await call('not-a-jwt', 'GET', '/v1/webhooks')).status).toBe(401);
    const sender = await createApiClient(t.url, admin, ['messages:send', 'messages:read']);
    const noScope = await call(sender.accessToken, 'POST', '/v1/webhooks', { url: 'https://example.com/h', events: ['*'] });
    expect(noScope.status).toBe(403);
    expect(noScope.body.detail).toMatch(/"webhooks:manage" scope/);
    const user = await registerAndLogin(t.url);
    expect((await call(user.accessToken, 'GET', '/v1/webhooks')).status).toBe(403);
  });
});

describe('one client cannot see or touch another client’s webhooks', () => {
  it('list, read, change, rotate, ping, log, re-send and delete all behave as if the webhook did not exist', async () => {
    const created = await call(a.accessToken, 'POST', '/v1/webhooks', { url: 'http://127.0.0.3:9/hooks/a', events: ['message.sent'] });
    expect(created.status).toBe(201);
    const id = created.body.webhook_id as string;
    const ping = await call(a.accessToken, 'POST', `/v1/webhooks/${id}/test`);
    expect(ping.status).toBe(202);
    const deliveryId = ping.body.delivery_id as string;

    expect((await call(b.accessToken, 'GET', '/v1/webhooks')).body.webhooks).toEqual([]);
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/v1/webhooks/${id}`],
      ['PATCH', `/v1/webhooks/${id}`, { url: 'http://127.0.0.3:9/hooks/b', events: ['*'] }],
      ['POST', `/v1/webhooks/${id}/rotate-secret`, {}],
      ['POST', `/v1/webhooks/${id}/test`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
      ['GET', `/v1/webhooks/${id}/deliveries/${deliveryId}`],
      ['POST', `/v1/webhooks/${id}/deliveries/${deliveryId}/retry`],
      ['DELETE', `/v1/webhooks/${id}`],
    ];
    for (const [method, path, body] of attempts) {
      const r = await call(b.accessToken, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(r.body)).not.toContain('/hooks/a');
    }
    // a's webhook is untouched: same URL, events and secret era, still there, one ping in its log.
    const mine = await call(a.accessToken, 'GET', `/v1/webhooks/${id}`);
    expect(mine.body).toMatchObject({ url: 'http://127.0.0.3:9/hooks/a', events: ['message.sent'], active: true });
    expect(mine.body.secret_rotated_at).toBeUndefined();
    expect((await call(a.accessToken, 'GET', `/v1/webhooks/${id}/deliveries`)).body.deliveries).toHaveLength(1);
    expect((await call(a.accessToken, 'DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
  });
});

describe('SSRF protection at registration', () => {
  it.each([
    ['a private address', 'http://10.0.0.1/hook', '10.0.0.1 is a private network address (RFC 1918)'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a cloud metadata address'],
    ['a link-local address', 'http://169.254.1.1/hook', '169.254.1.1 is a link-local address (169.254.0.0/16)'],
    ['loopback without an allowlist', 'http://127.0.0.1:8080/hook', '127.0.0.1 is a loopback address (127.0.0.0/8)'],
    ['IPv6 loopback', 'http://[::1]:8080/hook', '::1 is the loopback address (::1)'],
    [
      'an IPv4-mapped private address',
      'http://[::ffff:192.168.1.1]/hook',
      '::ffff:c0a8:101 (IPv4-mapped 192.168.1.1) is a private network address (RFC 1918)',
    ],
    ['the AWS IPv6 metadata address', 'http://[fd00:ec2::254]/', 'fd00:ec2::254 is a cloud metadata address'],
    ['a CGNAT address', 'http://100.64.1.1/hook', '100.64.1.1 is a carrier-grade NAT address (100.64.0.0/10)'],
    ['a decimal-encoded loopback address', 'http://2130706433/hook', '127.0.0.1 is a loopback address (127.0.0.0/8)'],
  ])('refuses %s with the reason', async (_what, url, reason) => {
    const r = await call(a.accessToken, 'POST', '/v1/webhooks', { url, events: ['*'] });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ field: 'url', message: `${reason}; webhooks are not sent to internal addresses` }]);
  });

  it('refuses a host name that resolves to a private address, and contacts nobody', async () => {
    const rx = await startWebhookReceiver('127.0.0.1');
    receivers.push(rx);
    const r = await call(a.accessToken, 'POST', '/v1/webhooks', { url: `http://localhost:${rx.port}/hook`, events: ['*'] });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/^host localhost resolves to (127\.0\.0\.1|::1), (a|the) loopback address/);
    expect(rx.calls).toHaveLength(0);
    expect((await call(a.accessToken, 'GET', '/v1/webhooks')).body.webhooks).toEqual([]);
  });

  it('refuses a host name that does not resolve', async () => {
    const r = await call(a.accessToken, 'POST', '/v1/webhooks', { url: 'https://no-such-host.invalid/hook', events: ['*'] });
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({
      field: 'url',
      message: expect.stringMatching(/^could not resolve host no-such-host\.invalid/),
    });
  });

  it('applies the same checks to PATCH and leaves the webhook unchanged', async () => {
    const { body: w } = await call(a.accessToken, 'POST', '/v1/webhooks', { url: 'http://127.0.0.3:9/ok', events: ['*'] });
    const r = await call(a.accessToken, 'PATCH', `/v1/webhooks/${w.webhook_id}`, { url: 'http://192.168.0.10/admin' });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/192\.168\.0\.10 is a private network address/);
    expect((await call(a.accessToken, 'GET', `/v1/webhooks/${w.webhook_id}`)).body.url).toBe('http://127.0.0.3:9/ok');
    await call(a.accessToken, 'DELETE', `/v1/webhooks/${w.webhook_id}`);
  });
});
