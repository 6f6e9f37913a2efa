import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Agent, request } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayNginx, type GatewayNginx } from '../support/gateway-nginx';
import { freePort } from '../support/private-servers';
import { REPO_ROOT } from '../support/stack-env';

/**
 * The gateway's configuration in detail, with nginx in front of recording
 * upstreams instead of the hub (the scaled-out hub is gateway.int.test.ts):
 * what reaches a service, and what the edge does on its own.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

async function recorder(name: string): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    req.resume();
    if (req.url?.startsWith('/v1/limited')) {
      res.writeHead(429, { 'content-type': 'application/problem+json', 'retry-after': '42' });
      return res.end(
        '{"type":"https://hub.example/problems/rate-limited","title":"Too many requests","status":429,"detail":"the hub\'s own"}',
      );
    }
    // As a service with CORS_ALLOWED_ORIGINS set would: the gateway must not pass these on.
    res.writeHead(200, {
      'content-type': 'application/json',
      'access-control-allow-origin': 'https://other.example',
      'access-control-allow-credentials': 'true',
    });
    res.end(JSON.stringify({ service: name }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

let gw: GatewayNginx;
let agent: Agent;
let frontend: Awaited<ReturnType<typeof recorder>>;
let presence: Awaited<ReturnType<typeof recorder>>;
let files: Awaited<ReturnType<typeof recorder>>;
const LIMIT_PER_MIN = 30;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const u = new URL(gw.url);
  return new Promise((resolve, reject) => {
    // The certificate is checked against the address dialled, not a Host header a test sets on purpose.
    const req = request({ hostname: u.hostname, port: u.port, path, headers, agent, checkServerIdentity: () => undefined }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  [frontend, presence, files] = await Promise.all([recorder('frontend'), recorder('presence'), recorder('files')]);
  // A second frontend replica that is down: requests still reach the live one.
  const dead = await freePort();
  gw = await startGatewayNginx({
    GATEWAY_FRONTEND_SERVERS: `127.0.0.1:${dead},127.0.0.1:${frontend.port}`,
    GATEWAY_PRESENCE_SERVERS: `127.0.0.1:${presence.port}`,
    GATEWAY_FILES_SERVERS: `127.0.0.1:${files.port}`,
    GATEWAY_RATE_LIMIT_PER_MIN: String(LIMIT_PER_MIN),
    GATEWAY_RATE_LIMIT_BURST: '3',
    GATEWAY_CORS_ALLOWED_ORIGINS: 'https://app.example.test',
  });
  agent = new Agent({ ca: gw.ca, keepAlive: true });
});

afterAll(async () => {
  agent?.destroy();
  await gw?.stop();
  for (const r of [frontend, presence, files]) r?.server.close();
});

describe('what reaches a service through the gateway', () => {
  it('X-Forwarded-For is the client address, replacing what the client sent; Host is the upstream; the path is normalised', async () => {
    const res = await get('/v1/a/./b//c?q=1', {
      authorization: 'Bearer tok-xff',
      'x-forwarded-for': '203.0.113.9',
      'x-real-ip': '203.0.113.9',
      host: 'evil.example',
    });
    expect(res.status).toBe(200);
    const seen = frontend.seen.at(-1)!;
    expect(seen.url).toBe('/v1/a/b/c?q=1');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-real-ip']).toBeUndefined();
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers.host).toBe('hub_frontend');
    expect(seen.headers.authorization).toBe('Bearer tok-xff');
  });

  it('routes by the fixed table: files, presence, the rest of the API to frontend; a down replica is skipped', async () => {
    await get('/v1/files/x', { authorization: 'Bearer tok-route-files' });
    await get('/v1/presence/y', { authorization: 'Bearer tok-route-presence' });
    for (let i = 0; i < 4; i++) expect((await get('/openapi.json', { authorization: `Bearer tok-route-${i}` })).status).toBe(200);
    expect(files.seen.at(-1)!.url).toBe('/v1/files/x');
    expect(presence.seen.at(-1)!.url).toBe('/v1/presence/y');
    expect(frontend.seen.at(-1)!.url).toBe('/openapi.json');
  });

  it("a service's own refusals pass through untouched; its CORS headers are replaced by the edge's", async () => {
    const limited = await get('/v1/limited', { authorization: 'Bearer tok-passthrough' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('42');
    expect(JSON.parse(limited.body).detail).toBe("the hub's own");
    const other = await get('/v1/x', { authorization: 'Bearer tok-passthrough', origin: 'https://other.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['access-control-allow-credentials']).toBeUndefined();
    const allowed = await get('/v1/x', { authorization: 'Bearer tok-passthrough', origin: 'https://app.example.test' });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.test');
  });
});

describe('the edge limit', () => {
  it('counts per bearer token: one token past its burst gets 429 while another token goes on', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get('/v1/x', { authorization: 'Bearer tok-greedy' })).status);
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses.slice(4)).toContain(429);
    const limited = await get('/v1/x', { authorization: 'Bearer tok-greedy' });
    expect(limited.status).toBe(429);
    // 60 s / 30 per minute: one request every 2 s once the burst is spent.
    expect(limited.headers['retry-after']).toBe('2');
    expect(limited.headers['content-type']).toBe('application/problem+json');
    expect(limited.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/v1/x', { authorization: 'Bearer tok-calm' })).status).toBe(200);
  });

  it("a WebSocket's ?access_token= counts per token too, apart from the address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get('/v1/x?access_token=tok-query')).status);
    expect(statuses).toContain(429);
    expect((await get('/v1/x?access_token=tok-query-2')).status).toBe(200);
  });

  it('without a token, per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await get('/openapi.json')).status);
    expect(statuses).toContain(429);
    expect((await get('/v1/x', { authorization: 'Bearer tok-other' })).status).toBe(200);
  });
});

describe('render.sh refuses bad settings, naming them', () => {
  const render = (env: Record<string, string>) => {
    const out = mkdtempSync(join(tmpdir(), 'hub-gw-render-'));
    try {
      return spawnSync('bash', [join(REPO_ROOT, 'deploy/gateway/render.sh'), out], {
        env: { PATH: process.env.PATH ?? '', ...env },
        encoding: 'utf8',
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  };
  const certs = {
    GATEWAY_TLS_CERT: join(REPO_ROOT, 'deploy/gateway/.certs/server.crt'),
    GATEWAY_TLS_KEY: join(REPO_ROOT, 'deploy/gateway/.certs/server.key'),
  };

  it.each([
    [{ GATEWAY_CORS_ALLOWED_ORIGINS: '*' }, /GATEWAY_CORS_ALLOWED_ORIGINS: '\*' is not an origin/],
    [{ GATEWAY_CORS_ALLOWED_ORIGINS: 'https://app.example.com/' }, /is not an origin/],
    [{ GATEWAY_RATE_LIMIT_PER_MIN: '0' }, /GATEWAY_RATE_LIMIT_PER_MIN must be a positive integer/],
    [{ GATEWAY_FRONTEND_SERVERS: 'frontend' }, /GATEWAY_FRONTEND_SERVERS: 'frontend' is not host:port/],
    [{ GATEWAY_PUBLIC_URL: 'http://hub.example.com' }, /GATEWAY_PUBLIC_URL must be https/],
    [{ GATEWAY_TLS_CERT: '/nonexistent.crt' }, /no TLS certificate at \/nonexistent.crt/],
  ])('%j', (bad, message) => {
    const r = render({ ...certs, ...bad });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});

describe('the web client at /', () => {
  it('answers app paths with index.html under the page CSP, and a missing asset with 404', async () => {
    // Its own edge-limit bucket (keyed by the bearer token): the tests above spent the address's.
    const own = { authorization: 'Bearer web-client-page-test' };
    const page = await get('/conversations/some-id', own);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<html');
    expect(page.headers['cache-control']).toBe('no-cache');
    // The page's own scripts run (script-src 'self'), nothing from elsewhere, no framing.
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const missing = await get('/assets/missing-0000.js', own);
    expect(missing.status).toBe(404);
  });
});
