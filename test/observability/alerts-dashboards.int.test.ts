import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsumerGroups, Topics } from '@hub/domain';
import { ChannelMappingsRepository } from '@hub/identity';
import { EtcdStore, idLikeLabelValue } from '@hub/platform';
import { TestClient } from '../support/ws-client';
import { renderAlerts, SHIPPED_ALERT_SETTINGS } from '../../scripts/observability/render-alerts';
import { DASHBOARDS_DIR } from '../../scripts/observability/build-dashboards';
import { startLocalPrometheus, type LocalPrometheus } from '../../scripts/observability/local-prometheus';
import { FakeTelegramServer } from '../support/fake-telegram-server';
import { adminToken, cleanupTestEnv, createApiClient, registerAndLogin, testFrontendEnv, type TestUser } from '../support/identity';
import { eventually, spawnService, type ServiceName, type ServiceProcess } from '../support/spawn-service';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// Prometheus (Debian's) scraping the hub's four services, each its own
// process on the real stack, with the shipped alert rules rendered with
// durations of seconds and a lag threshold of LAG_THRESHOLD records. The
// test induces a Telegram outage (fake Bot API answering 500 → breaker
// open) and a stopped router (→ consumer lag, service down), sees the
// alerts fire through Prometheus' HTTP API and resolve after recovery, then
// runs every query of every Grafana dashboard and expects data from each.

const LAG_THRESHOLD = 20;
const SERVICES: ServiceName[] = ['frontend', 'router', 'presence', 'files'];

let env: Record<string, string>;
let dir: string;
let fake: FakeTelegramServer;
let etcd: EtcdStore;
let prom: LocalPrometheus;
let receiver: WebhookReceiver;
const started = Date.now();
const procs = {} as Record<ServiceName, ServiceProcess>;
const sockets: TestClient[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function promApi<T>(path: string): Promise<T> {
  const res = await fetch(`${prom.url}${path}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
  return body.data;
}

type Alert = { labels: Record<string, string>; state: 'pending' | 'firing' };
const firing = async (name: string, match: Record<string, string> = {}) =>
  (await promApi<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(
    (a) => a.state === 'firing' && a.labels.alertname === name && Object.entries(match).every(([k, v]) => a.labels[k] === v),
  );
const query = async (expr: string) =>
  (
    await promApi<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    )
  ).result;

let client: { accessToken: string };
let alice: TestUser;
let bob: TestUser;
/** Users with a Telegram chat each: their deliveries are separate lanes, tried side by side. */
const telegramUsers: string[] = [];
let conversation: string;

async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${procs.frontend.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function send(to: string[], channels: string[], text: string): Promise<string> {
  const r = await call(client.accessToken, 'POST', '/v1/messages', {
    conversation_id: conversation,
    from: alice.username,
    to,
    channels,
    payload: { type: 'text', text },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body.message_id as string;
}

const startService = async (name: ServiceName) => {
  // Four services starting side by side on two cores: more than the default minute when the machine is busy.
  procs[name] = await spawnService(name, env, { timeoutMs: 150_000 });
  // A restarted service listens on a new port (port 0: no race with other processes for a chosen one).
  prom?.setTarget(name, procs[name].url);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-prom-'));
  fake = await FakeTelegramServer.start();
  receiver = await startWebhookReceiver('127.0.0.1');
  env = testFrontendEnv({
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: `secret-${Date.now()}`,
    TELEGRAM_RATE_PER_CHAT_PER_S: '50',
    CONNECTORS_ENABLED: 'telegram',
    CONNECTOR_BREAKER_VOLUME_THRESHOLD: '3',
    CONNECTOR_BREAKER_RESET_MS: '500',
    OUTBOUND_BACKOFF_BASE_MS: '100',
    OUTBOUND_MAX_ATTEMPTS: '50',
    WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
    WEBHOOK_POLL_INTERVAL_MS: '100',
    RATE_LIMIT_PER_MIN: '1000000',
    KAFKA_TOPIC_PARTITIONS: '2',
  });
  etcd = new EtcdStore({ hosts: env.ETCD_HOSTS!.split(','), namespace: env.ETCD_NAMESPACE! });
  await Promise.all(SERVICES.map(startService));
  const settings = {
    ...SHIPPED_ALERT_SETTINGS,
    FOR_DOWN: '2s',
    FOR_SLOW: '2s',
    FOR_LAG: '2s',
    FOR_DLQ: '0s',
    FOR_BREAKER: '2s',
    FOR_WEBHOOK: '0s',
    LAG_THRESHOLD: String(LAG_THRESHOLD),
  };
  // The free port may be taken by another process before Prometheus binds it: try another.
  for (let attempt = 1; !prom; attempt++) {
    try {
      prom = await startLocalPrometheus({
        dir,
        port: await freePort(),
        targets: Object.fromEntries(SERVICES.map((s) => [s, procs[s].url])),
        rules: renderAlerts(settings),
        scrapeInterval: '1s',
        evaluationInterval: '1s',
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  await eventually(async () => (await query('up{job=~"hub-.*"} == 1')).length === SERVICES.length, {
    what: 'every service scraped',
    timeoutMs: 30_000,
    intervalMs: 500,
  });

  const admin = await adminToken(procs.frontend.url, env);
  client = await createApiClient(procs.frontend.url, admin, ['messages:send', 'messages:read', 'webhooks:manage']);
  [alice, bob] = await Promise.all([registerAndLogin(procs.frontend.url), registerAndLogin(procs.frontend.url)]);
  const [dave, ...others] = await Promise.all([0, 1, 2].map(() => registerAndLogin(procs.frontend.url)));
  const mappings = new ChannelMappingsRepository(etcd);
  await mappings.link(bob.username, 'telegram', '7001');
  await mappings.link(dave!.username, 'telegram', '7002');
  fake.chatNotFound(7002);
  for (const [i, u] of others.entries()) await mappings.link(u.username, 'telegram', String(7100 + i));
  telegramUsers.push(bob.username, ...others.map((u) => u.username));
  const conv = await call(client.accessToken, 'POST', '/v1/conversations', {
    type: 'group',
    members: [alice.username, bob.username, dave!.username, ...others.map((u) => u.username)],
  });
  expect([200, 201]).toContain(conv.status);
  conversation = conv.body.conversation_id as string;
  expect((await call(client.accessToken, 'POST', '/v1/webhooks', { url: `${receiver.url}/hub`, events: ['*'] })).status).toBe(201);

  // A short load touching every part the dashboards show: REST accept, routing, WebSocket push
  // and receipts, Telegram sends, a dead letter (chat not found), webhooks, a refused upgrade, a close.
  const bobSocket = await TestClient.connect(procs.presence.url, bob.accessToken, { heartbeatMs: 1_000 });
  sockets.push(bobSocket);
  expect((await TestClient.refused(procs.presence.url, { token: 'not-a-token' })).status).toBe(401);
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push(await send([bob.username], ['internal', 'telegram'], `load ${i}`));
  await send([dave!.username], ['telegram'], 'to a chat that does not exist');
  await eventually(() => ids.every((id) => bobSocket.all('message').some((f) => f.d.message_id === id)), {
    what: 'pushes at bob',
    timeoutMs: 30_000,
  });
  for (const id of ids) bobSocket.send('ack', { message_id: id });
  await eventually(() => fake.textsTo(7001).length >= ids.length, { what: 'Telegram sends', timeoutMs: 30_000 });
  await eventually(() => receiver.calls.length > 0, { what: 'webhook calls', timeoutMs: 30_000 });
  await eventually(async () => (await query('outbound_steps_total{step="dead_letter"} > 0')).length > 0, {
    what: 'the dead letter of the message to a missing chat',
    timeoutMs: 60_000,
    intervalMs: 500,
  }).catch(async (err: Error) => {
    throw new Error(
      `${err.message}; outbound steps: ${JSON.stringify(await query('outbound_steps_total'))}; Telegram calls to 7002: ${JSON.stringify(fake.calls.filter((c) => String(c.params.chat_id) === '7002'))}`,
    );
  });
  const other = await TestClient.connect(procs.presence.url, alice.accessToken);
  await other.close();
}, 360_000);

afterAll(async () => {
  await Promise.allSettled(sockets.map((s) => s.close()));
  await prom?.stop();
  await Promise.allSettled(Object.values(procs).map((p) => p.stop()));
  etcd?.close();
  await fake?.close();
  await receiver?.close();
  if (env) await cleanupTestEnv(env);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('alerts fire through Prometheus and resolve (issue 17, item 5)', () => {
  it(
    'a Telegram outage opens the breaker: HubConnectorBreakerOpen fires, and resolves once Telegram answers again',
    { timeout: 90_000 },
    async () => {
      expect(await firing('HubConnectorBreakerOpen')).toEqual([]);
      fake.failFor(600_000, 500);
      for (let i = 0; i < 3; i++) await send(telegramUsers, ['telegram'], `during the outage ${i}`);
      await eventually(async () => (await firing('HubConnectorBreakerOpen', { connector: 'telegram' })).length === 1, {
        what: 'HubConnectorBreakerOpen firing',
        timeoutMs: 45_000,
        intervalMs: 500,
      }).catch(async (err: Error) => {
        throw new Error(
          `${err.message}; seen: ${JSON.stringify(await Promise.all(['connector_calls_total', 'connector_breaker_state', 'outbound_steps_total'].map(query)))}`,
        );
      });

      fake.heal();
      await eventually(async () => (await firing('HubConnectorBreakerOpen')).length === 0, {
        what: 'HubConnectorBreakerOpen resolved',
        timeoutMs: 45_000,
        intervalMs: 500,
      });
      expect(Number((await query('max(connector_breaker_state{connector="telegram"})'))[0]!.value[1])).toBe(0);
    },
  );

  it('a stopped router: HubServiceDown and HubConsumerLagHigh fire, and resolve after the router is back', async () => {
    expect(await firing('HubConsumerLagHigh')).toEqual([]);
    await procs.router.stop();
    // One conversation: all on one partition of hub.messages.v1.
    for (let i = 0; i < LAG_THRESHOLD + 10; i++) await send([bob.username], ['internal'], `while the router is down ${i}`);
    await eventually(async () => (await firing('HubServiceDown', { job: 'hub-router' })).length === 1, {
      what: 'HubServiceDown firing for the router',
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    const lag = await eventually(
      async () => {
        const a = await firing('HubConsumerLagHigh');
        return a.length > 0 && a;
      },
      { what: 'HubConsumerLagHigh firing', timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(lag.map((a) => `${a.labels.group} ${a.labels.topic}`)).toContain(`${ConsumerGroups.route} ${Topics.messages}`);

    await startService('router');
    await eventually(async () => (await firing('HubConsumerLagHigh')).length === 0 && (await firing('HubServiceDown')).length === 0, {
      what: 'lag and down alerts resolved',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
  }, 240_000);
});

describe('dashboards (issue 17, item 5)', () => {
  it('every query of every dashboard returns data from the running hub', { timeout: 60_000 }, async () => {
    const files = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBe(5);
    // As Grafana asks: variables are series over the dashboard's time range, panels are range
    // queries over it; the range is the whole test, so the load and the outage above count.
    const range = () => `start=${Math.floor(started / 1000)}&end=${Math.ceil(Date.now() / 1000)}`;
    const checks: Array<{ where: string; expr: string; run: (expr: string) => Promise<number> }> = [];
    const seriesOf = async (metric: string) =>
      (await promApi<unknown[]>(`/api/v1/series?match[]=${encodeURIComponent(metric)}&${range()}`)).length;
    const rangeOf = async (expr: string) =>
      (await promApi<{ result: unknown[] }>(`/api/v1/query_range?query=${encodeURIComponent(expr)}&${range()}&step=2`)).result.length;
    for (const f of files) {
      const d = JSON.parse(readFileSync(join(DASHBOARDS_DIR, f), 'utf8')) as {
        panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
        templating: { list: Array<{ name: string; query: { query: string } }> };
      };
      for (const v of d.templating.list) {
        const metric = /^label_values\((\w+), \w+\)$/.exec(v.query.query)?.[1];
        expect(metric, `${f} variable ${v.name}`).toBeDefined();
        checks.push({ where: `${f} variable ${v.name}`, expr: metric!, run: seriesOf });
      }
      for (const p of d.panels) for (const t of p.targets) checks.push({ where: `${f} "${p.title}"`, expr: t.expr, run: rangeOf });
    }
    // Grafana's variables: every selection (.*); $__rate_interval as Grafana makes it for a 1 s scrape interval.
    const substitute = (expr: string) => expr.replace(/\$__rate_interval|\$__interval/g, '15s').replace(/\$\{?(\w+)\}?/g, '.*');
    let empty: string[] = [];
    await eventually(
      async () => {
        empty = [];
        for (const c of checks) if ((await c.run(substitute(c.expr))) === 0) empty.push(`${c.where}: ${c.expr}`);
        return empty.length === 0;
      },
      { what: 'data for every dashboard query', timeoutMs: 30_000, intervalMs: 1_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nno data for:\n${empty.join('\n')}`);
    });
  });

  it("exports the catalogue's pipeline metrics per channel and the lag of every consumer group", async () => {
    const values = async (expr: string, label: string) => new Set((await query(expr)).map((r) => r.metric[label]));
    // Over the whole test: the router restarted above, and its counters with it.
    const ever = (selector: string) => `max_over_time(${selector}[10m]) > 0`;
    expect(await values(ever('hub_message_end_to_end_seconds_count'), 'channel')).toEqual(new Set(['internal', 'telegram']));
    expect(await values(ever('hub_delivery_statuses_total{status="sent"}'), 'channel')).toEqual(new Set(['internal', 'telegram']));
    expect(await values(ever('outbound_steps_total{step="dead_letter"}'), 'channel')).toEqual(new Set(['telegram']));
    expect(await values(ever('hub_messages_accepted_total'), 'source')).toEqual(new Set(['api']));
    // Groups of the router (route, status writer, notify, retries) and of presence, from the frontend's reading of Kafka.
    expect([...(await values('hub_consumer_lag', 'group'))].sort()).toEqual(
      [ConsumerGroups.notify, ConsumerGroups.route, 'router-retry', ConsumerGroups.status, 'presence-status'].sort(),
    );
    expect(await values('hub_consumer_lag', 'service')).toEqual(new Set(['frontend']));
  });

  it('no label value of any series the hub exports looks like an id (bounded cardinality)', async () => {
    const series = await promApi<Array<Record<string, string>>>(`/api/v1/series?match[]=${encodeURIComponent('{job=~"hub-.*"}')}`);
    expect(series.length).toBeGreaterThan(100);
    const bad = series.flatMap((s) =>
      Object.entries(s)
        .filter(([k]) => !['instance', 'le', 'quantile', '__name__'].includes(k))
        .filter(([, v]) => idLikeLabelValue(v))
        .map(([k, v]) => `${s.__name__}{${k}="${v}"}`),
    );
    expect(bad).toEqual([]);
  });
});
