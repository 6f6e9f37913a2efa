import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp } from '../packages/platform/src/http/app';
import { readJson } from '../packages/platform/src/http/body';
import { listen, type RunningServer } from '../packages/platform/src/http/serve';
import { chunkedBody, RawHttpClient, type RawResponse } from '../test/support/raw-http';
import { startGateway, type Upstreams } from './gateway';
import { parseOriginForm, routeFor } from './gateway-target';

interface Seen {
  method: string;
  url: string;
  host: string;
  upgrade: boolean;
}

/** A stand-in service that records what reached it; its /health/ready has details and its /metrics a secret. */
async function recordingUpstream(name: string, ready: () => number) {
  const seen: Seen[] = [];
  const server: Server = createHttpServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, host: req.headers.host ?? '', upgrade: false });
    if (req.url === '/metrics') return res.end('secret_metric{service="x"} 1\n');
    if (req.url === '/health/ready' || req.url === '/health/live') {
      res.writeHead(ready(), { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          status: ready() === 200 ? 'ok' : 'unavailable',
          checks: { etcd: { status: 'ok', latency_ms: 3, detail: 'etcd:2379' } },
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close', 'keep-alive': 'timeout=5' });
    res.end(JSON.stringify({ service: name, url: req.url }));
  });
  server.on('upgrade', (req, socket) => {
    seen.push({ method: req.method!, url: req.url!, host: req.headers.host ?? '', upgrade: true });
    socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Service: ${name}\r\n\r\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { seen, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Sends `head` (a request line and headers, exactly as given) on a fresh connection and reads the answer. */
async function raw(port: number, head: string): Promise<RawResponse> {
  const c = await RawHttpClient.open(port);
  try {
    await c.write(head);
    return await c.response();
  } finally {
    c.close();
  }
}

describe('parseOriginForm and routeFor', () => {
  it.each([
    ['/v1/files/../../metrics', '/metrics', 'denied'],
    ['/v1/files/%2e%2e/%2E%2E/metrics', '/metrics', 'denied'],
    ['/v1/files/.%2e/%2e./metrics', '/metrics', 'denied'],
    ['/v1/%66iles/a', '/v1/files/a', 'files'],
    ['/v1/files/a/./b//c/', '/v1/files/a/b/c/', 'files'],
    ['/v1/files/a/..', '/v1/files/', 'files'],
    ['/v1/presence/x', '/v1/presence/x', 'presence'],
    ['/v1/presencex', '/v1/presencex', 'frontend'],
    ['/v1/ws', '/v1/ws', 'presence'],
    ['/health/ready', '/health/ready', 'health'],
    ['/health/../metrics/x', '/metrics/x', 'denied'],
    ['/health/details', '/health/details', 'denied'],
    ['/', '/', 'frontend'],
    ['/openapi.json', '/openapi.json', 'frontend'],
    ['/asyncapi.json', '/asyncapi.json', 'frontend'],
    ['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui.css', 'frontend'],
  ])('%s is %s, routed to %s', (target, path, route) => {
    const r = parseOriginForm(target);
    expect(r).toMatchObject({ ok: true, path });
    expect(routeFor(path)).toBe(route);
  });

  it.each([
    'http://127.0.0.1:2379/version',
    '//127.0.0.1:2379/version',
    '127.0.0.1:2379',
    '*',
    '',
    '/../etc',
    '/v1/files/../../../x',
    '/v1/files/..%2f..%2fmetrics',
    '/a%5cb',
    '/a%00',
    '/a%zz',
    '/a b',
    '/a\\b',
    '/a#b',
  ])('%j is refused', (target) => {
    expect(parseOriginForm(target).ok).toBe(false);
  });

  it('keeps the query as given', () => {
    expect(parseOriginForm('/v1/conversations/./x?since=1&a=%2e%2e')).toEqual({
      ok: true,
      path: '/v1/conversations/x',
      search: '?since=1&a=%2e%2e',
    });
  });
});

describe('the local gateway on raw request lines (issue 22, finding 1)', () => {
  let up: Record<keyof Upstreams, Awaited<ReturnType<typeof recordingUpstream>>>;
  let readyStatus = 200;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let port: number;
  // Stands for etcd, S3 or any other local port an attacker might aim at.
  let canaryConnections = 0;
  let canaryPort: number;
  const canary = createTcpServer((s) => {
    canaryConnections++;
    s.end('HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\ncanary!');
  });

  beforeAll(async () => {
    const names = ['frontend', 'presence', 'files', 'router'] as const;
    const built = await Promise.all(names.map((n) => recordingUpstream(n, () => readyStatus)));
    up = Object.fromEntries(names.map((n, i) => [n, built[i]!])) as typeof up;
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      upstreams: Object.fromEntries(names.map((n) => [n, up[n].url])) as unknown as Upstreams,
    });
    port = (gateway.server.address() as AddressInfo).port;
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', () => r()));
    canaryPort = (canary.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await gateway.close();
    for (const u of Object.values(up)) u.server.close();
    canary.close();
  });

  const allSeen = () => Object.values(up).flatMap((u) => u.seen);

  it('refuses the absolute form, "//host:port", CONNECT and "*" with 400/405 problem+json, and never connects to the named host', async () => {
    const attacks: [string, number][] = [
      [`GET http://127.0.0.1:${canaryPort}/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 400],
      [`GET //127.0.0.1:${canaryPort}/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 400],
      [`POST http://127.0.0.1:${canaryPort}/v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}`, 400],
      [`GET http://127.0.0.1:${canaryPort}/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`, 400],
      [`GET //127.0.0.1:${canaryPort}/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`, 400],
      [`CONNECT 127.0.0.1:${canaryPort} HTTP/1.1\r\nHost: 127.0.0.1:${canaryPort}\r\n\r\n`, 405],
      ['OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400],
    ];
    for (const [head, status] of attacks) {
      const r = await raw(port, head);
      expect(r.status, head).toBe(status);
      expect(r.headers['content-type'], head).toBe('application/problem+json');
      expect(JSON.parse(r.body).status, head).toBe(status);
    }
    expect(canaryConnections).toBe(0);
    expect(allSeen()).toEqual([]);
  });

  it('a Host header naming another port changes nothing: the fixed upstream gets the request, with its own Host', async () => {
    const r = await raw(port, `GET /v1/files/abc HTTP/1.1\r\nHost: 127.0.0.1:${canaryPort}\r\n\r\n`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ service: 'files', url: '/v1/files/abc' });
    expect(up.files.seen.at(-1)!.host).toBe(new URL(up.files.url).host);
    expect(canaryConnections).toBe(0);
  });

  it('never serves /metrics, however the path is spelt, and refuses paths above the root', async () => {
    const before = allSeen().length;
    const denied = [
      '/metrics',
      '/metrics/',
      '/v1/files/../../metrics',
      '/v1/files/%2e%2e/%2e%2e/metrics',
      '/v1/files/%2E%2E/%2E%2E/metrics',
      '/v1/ws/.%2e/.%2e/metrics',
      '/./metrics',
      '/v1/presence/..//../metrics?x=1',
    ];
    for (const path of denied) {
      const r = await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('secret_metric');
    }
    for (const path of ['/v1/files/../../../metrics', '/..%2fmetrics', '/v1/files/..%2F..%2Fmetrics', '/%2e%2e/metrics']) {
      const r = await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(r.status, path).toBe(400);
    }
    expect(allSeen().length).toBe(before);
    expect(allSeen().some((s) => s.url.includes('metrics'))).toBe(false);
    expect(canaryConnections).toBe(0);
  });

  it("routes the normalised path by the fixed table, keeping the query, and does not pass on the upstream's hop-by-hop headers", async () => {
    const cases: [string, string, string][] = [
      ['/v1/files/a/./b//c', 'files', '/v1/files/a/b/c'],
      ['/v1/files/x/../y?z=%2e%2e', 'files', '/v1/files/y?z=%2e%2e'],
      ['/v1/presence/alice', 'presence', '/v1/presence/alice'],
      ['/v1/presencex', 'frontend', '/v1/presencex'],
      ['/v1/conversations?since=3', 'frontend', '/v1/conversations?since=3'],
    ];
    for (const [path, service, url] of cases) {
      const r = await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(JSON.parse(r.body), path).toEqual({ service, url });
      // The upstream said "connection: close" for its own connection; the client's stays open.
      expect(r.headers.connection, path).toBe('keep-alive');
    }
  });

  it('passes a WebSocket upgrade at /v1/ws (normalised) to presence only', async () => {
    const c = await RawHttpClient.open(port);
    try {
      await c.write(
        'GET /v1/./ws?token=t HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const r = await c.response();
      expect(r.status).toBe(101);
      expect(r.headers['x-service']).toBe('presence');
    } finally {
      c.close();
    }
    expect(up.presence.seen.at(-1)).toMatchObject({ upgrade: true, url: '/v1/ws?token=t', host: new URL(up.presence.url).host });
    const elsewhere = await raw(
      port,
      'GET /v1/files/../../metrics HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    expect(elsewhere.status).toBe(404);
    expect(up.files.seen.some((s) => s.upgrade)).toBe(false);
  });

  it("/health/ready and /health/live answer one overall status, without the services' details", async () => {
    for (const path of ['/health/ready', '/health/live']) {
      const ok = await raw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ status: 'ok' });
      expect(ok.headers['cache-control']).toBe('no-store');
    }
    readyStatus = 503;
    try {
      const down = await raw(port, 'GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toEqual({ status: 'unavailable' });
    } finally {
      readyStatus = 200;
    }
  });

  it('its own answers carry the security headers', async () => {
    const r = await raw(port, 'GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
  });
});

describe('a 413 through the gateway (issue 22, finding 6)', () => {
  const LIMIT = 1024;
  let service: RunningServer;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let port: number;
  beforeAll(async () => {
    const app = createServiceApp({ service: 'gw-413', logger: pino({ level: 'silent' }), registry: new Registry(), checks: [] });
    app.post('/echo', async (c) => c.json(await readJson(c, z.object({ text: z.string() }), { limitBytes: LIMIT })));
    service = await listen(app, { host: '127.0.0.1', port: 0 });
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      upstreams: { frontend: service.url, presence: service.url, files: service.url, router: service.url },
    });
    port = (gateway.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await gateway.close();
    await service.close();
  });
  const second = 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"text":"again"}';

  it.each([
    ['chunked, pausing mid-upload', (c: RawHttpClient) => sendChunked(c, LIMIT * 64)],
    ['with a declared Content-Length past the limit', (c: RawHttpClient) => sendSized(c, LIMIT * 256)],
  ])('an oversized body (%s) gets its 413, and the same connection then serves the next request', async (_, send) => {
    const c = await RawHttpClient.open(port);
    try {
      await send(c);
      const r = await c.response();
      expect(r.status).toBe(413);
      expect(r.headers.connection).toBe('keep-alive');
      await c.write(second);
      const next = await c.response();
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body)).toEqual({ text: 'again' });
    } finally {
      c.close();
    }
  });

  async function sendChunked(c: RawHttpClient, total: number) {
    const chunks = chunkedBody(total, 4 * 1024);
    await c.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    await c.write(Buffer.concat(chunks.slice(0, chunks.length / 2)));
    await new Promise((r) => setTimeout(r, 900));
    await c.write(Buffer.concat(chunks.slice(chunks.length / 2)));
  }

  async function sendSized(c: RawHttpClient, total: number) {
    await c.write(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`);
    await c.write(Buffer.alloc(total, ' '));
  }
});

describe('CORS through the local gateway (issue 18)', () => {
  const ORIGIN = 'https://app.example.com';
  let service: RunningServer;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  beforeAll(async () => {
    const app = createServiceApp({
      service: 'gw-cors',
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      checks: [],
      cors: { allowedOrigins: [ORIGIN] },
    });
    app.post('/v1/messages', (c) => {
      c.header('Location', '/v1/messages/m1');
      return c.json({ message_id: 'm1' }, 202);
    });
    service = await listen(app, { host: '127.0.0.1', port: 0 });
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      upstreams: { frontend: service.url, presence: service.url, files: service.url, router: service.url },
    });
  });
  afterAll(async () => {
    await gateway.close();
    await service.close();
  });

  it('a preflight reaches the service and its answer comes back whole', async () => {
    const res = await fetch(`${gateway.url}/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
    const refused = await fetch(`${gateway.url}/v1/files`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an actual request keeps the allow and expose headers, so a page reads Location', async () => {
    const res = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', headers: { origin: ORIGIN } });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toContain('Location');
    expect(res.headers.get('location')).toBe('/v1/messages/m1');
  });
});
