import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, cleanupTestEnv, createApiClient, testFrontendEnv, type TestApiClient } from './support/identity';
import { freePort } from './support/private-servers';
import { eventually, spawnService, type ServiceProcess } from './support/spawn-service';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

// Issue 22, finding 3: with an allow-list covering all of loopback, the
// hub's own ports (each service's and each stack server's, as configured)
// are still refused at registration, whatever the spelling of the address;
// any other allowed address and port is accepted and delivered to.

let env: Record<string, string>;
let frontend: ServiceProcess;
let router: ServiceProcess;
let client: TestApiClient;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  const [frontendPort, routerPort] = [await freePort(), await freePort()];
  env = testFrontendEnv({
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8,::1/128',
    WEBHOOK_RETRY_SCHEDULE_MS: '100',
    WEBHOOK_RETRY_JITTER: '0',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    FRONTEND_PORT: String(frontendPort),
    ROUTER_PORT: String(routerPort),
    GATEWAY_PORT: '8080',
    PRESENCE_PORT: '8083',
    FILES_PORT: '8084',
  });
  [frontend, router] = await Promise.all([spawnService('frontend', env), spawnService('router', env)]);
  client = await createApiClient(frontend.url, await adminToken(frontend.url, env), ['webhooks:manage']);
}, 180_000);
afterAll(async () => {
  await Promise.allSettled([frontend, router].filter(Boolean).map((s) => s.stop()));
  if (env) await cleanupTestEnv(env);
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${frontend.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${client.accessToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Every port the hub listens on or talks to, read from the environment the services were given. */
function hubPorts(): Array<[string, number]> {
  const portOf = (url: string) => Number(new URL(url).port);
  const ports: Array<[string, number]> = [
    ...(['GATEWAY_PORT', 'FRONTEND_PORT', 'ROUTER_PORT', 'PRESENCE_PORT', 'FILES_PORT'] as const).map((k): [string, number] => [
      k,
      Number(env[k]),
    ]),
    ...env.KAFKA_BROKERS!.split(',').map((b): [string, number] => ['KAFKA_BROKERS', Number(b.split(':').pop())]),
    ['MONGO_URL', portOf(env.MONGO_URL!)],
    ...env.ETCD_HOSTS!.split(',').map((h): [string, number] => ['ETCD_HOSTS', portOf(h)]),
    ['REDIS_URL', portOf(env.REDIS_URL!)],
    ['S3_ENDPOINT', portOf(env.S3_ENDPOINT!)],
  ];
  for (const [name, port] of ports) expect(port, name).toBeGreaterThan(0);
  return ports;
}

const SPELLINGS = ['127.0.0.1', 'localhost', '127.1', '0x7f000001', '2130706433', '[::ffff:127.0.0.1]'];

describe('webhook targets on an allow-listed internal address', () => {
  it('refuses every hub port, in every spelling of the address, with a problem naming url', async () => {
    const ports = hubPorts();
    expect(ports.length).toBeGreaterThanOrEqual(10);
    for (const [name, port] of ports) {
      for (const host of SPELLINGS) {
        const url = `http://${host}:${port}/probe`;
        const r = await call('POST', '/v1/webhooks', { url, events: ['*'] });
        expect(r.status, `${url} (${name})`).toBe(400);
        expect(r.body.errors, `${url} (${name})`).toEqual([
          {
            field: 'url',
            message: expect.stringMatching(
              /where the hub's own .* listens; internal addresses are reached only on the ports the allow-list names/,
            ),
          },
        ]);
      }
    }
    expect((await call('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
  });

  it('accepts an allowed address and port in every spelling and delivers to it', async () => {
    const r = await startWebhookReceiver('127.0.0.1');
    receivers.push(r);
    const ids: string[] = [];
    for (const host of SPELLINGS) {
      const created = await call('POST', '/v1/webhooks', { url: `http://${host}:${r.port}/hook`, events: ['*'] });
      expect(created.status, host).toBe(201);
      ids.push(created.body.webhook_id as string);
    }
    // Delivered through the canonical spelling (localhost may resolve to ::1 first, where this receiver does not listen).
    const id = ids[0]!;
    const ping = await call('POST', `/v1/webhooks/${id}/test`);
    expect(ping.status).toBe(202);
    const delivered = await eventually(
      async () => {
        const d = await call('GET', `/v1/webhooks/${id}/deliveries/${ping.body.delivery_id}`);
        return d.body.state === 'succeeded' ? d.body : undefined;
      },
      { what: 'the ping to be delivered', timeoutMs: 20_000 },
    );
    expect(delivered.attempts[0]).toMatchObject({ status_code: 200 });
    expect(r.calls.length).toBeGreaterThanOrEqual(1);
    for (const w of ids) await call('DELETE', `/v1/webhooks/${w}`);
  });
});
