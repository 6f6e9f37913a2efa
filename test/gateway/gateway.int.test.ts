import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Agent, request, type RequestOptions } from 'node:https';
import { request as requestHttp, type IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../packages/platform/src/s3/s3-object-store';
import { startGatewayNginx, type GatewayNginx } from '../support/gateway-nginx';
import { cleanupTestEnv, testFrontendEnv, testPassword, randomUsername } from '../support/identity';
import { freePort } from '../support/private-servers';
import { eventually, spawnService, type ServiceProcess } from '../support/spawn-service';

/**
 * Acceptance of issue 18: Debian's nginx with deploy/gateway's
 * configuration in front of a scaled-out hub on this machine (two
 * frontends, two routers, two presence nodes, files; each its own process
 * on the real stack), driven only through the gateway over TLS.
 *
 * The public S3 endpoint is the gateway's object-storage server (its own
 * port here; in production its own host name on 443): files signs presigned
 * URLs for it (S3_PUBLIC_ENDPOINT) and nginx passes them to the S3 server
 * with the Host the client used, so the signature holds.
 */
const APP_ORIGIN = 'https://app.example.test';
// Small enough that one token's burst of parallel requests exceeds it, large
// enough that the paced senders of the load test stay under it.
const EDGE_LIMIT_PER_MIN = 6000;
const EDGE_BURST = 20;

let env: Record<string, string>;
let gw: GatewayNginx;
let agent: Agent;
const services: ServiceProcess[] = [];
let frontends: ServiceProcess[];
let routers: ServiceProcess[];
let presences: ServiceProcess[];
const sockets: WebSocket[] = [];

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  body: any;
}

/** One HTTPS request to the gateway, trusting only the development CA. */
function call(
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: Buffer } = {},
): Promise<Answer> {
  const payload = opts.raw ?? (opts.body !== undefined ? Buffer.from(JSON.stringify(opts.body)) : undefined);
  const headers: Record<string, string> = {
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(payload ? { 'content-length': String(payload.length) } : {}),
    ...opts.headers,
  };
  const u = new URL(url);
  const options: RequestOptions = {
    method,
    hostname: u.hostname,
    port: u.port,
    path: u.pathname + u.search,
    headers,
    agent: u.protocol === 'https:' ? agent : undefined,
    ca: gw.ca,
  };
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? request : requestHttp)(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(payload);
  });
}

const api = (method: string, path: string, opts: Parameters<typeof call>[2] = {}) => call(method, `${gw.url}${path}`, opts);

async function user(): Promise<{ username: string; token: string }> {
  const username = randomUsername('gw');
  const password = testPassword();
  const reg = await api('POST', '/v1/auth/register', { body: { username, password } });
  expect(reg.status, reg.text).toBe(201);
  const tok = await api('POST', '/v1/auth/token', { body: { grant_type: 'password', username, password } });
  expect(tok.status, tok.text).toBe(200);
  return { username, token: tok.body.access_token as string };
}

async function conversation(owner: { username: string; token: string }, other: { username: string }): Promise<string> {
  const res = await api('POST', '/v1/conversations', {
    token: owner.token,
    body: { type: 'group', members: [owner.username, other.username] },
  });
  expect([200, 201], res.text).toContain(res.status);
  return res.body.conversation_id as string;
}

async function wsConnections(node: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/^ws_connections(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Messages a router stored so far (its own metrics port, not the gateway). */
async function persisted(router: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${router.url}/metrics`)).text();
  return Number(/^hub_messages_persisted_total(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
}

/** A WebSocket through the gateway (wss, the development CA) that records frames. */
async function connectWs(token: string): Promise<{ ws: WebSocket; frames: Array<{ op: string; d: any }> }> {
  const ws = new WebSocket(`${gw.url.replace('https', 'wss')}/v1/ws`, { headers: { authorization: `Bearer ${token}` }, ca: gw.ca });
  sockets.push(ws);
  const frames: Array<{ op: string; d: any }> = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as { op: string; d: any }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
  });
  await eventually(() => frames.some((f) => f.op === 'hello'), { what: 'hello frame' });
  return { ws, frames };
}

beforeAll(async () => {
  const objectsPort = await freePort();
  env = testFrontendEnv({
    KAFKA_TOPIC_PARTITIONS: '3',
    // The hub's own per-client limit stays out of the way: the 429s here are the edge's.
    RATE_LIMIT_PER_MIN: '1000000',
    // Behind the gateway, which overwrites X-Forwarded-For.
    TRUST_PROXY: 'true',
    // The hub answers CORS too; the gateway must not send its headers twice.
    CORS_ALLOWED_ORIGINS: APP_ORIGIN,
    S3_PUBLIC_ENDPOINT: `https://127.0.0.1:${objectsPort}`,
  });
  // Seven processes start at once: on a busy 2-core machine that takes a while.
  const start = { timeoutMs: 150_000 };
  const spawned = await Promise.all([
    spawnService('frontend', env, start),
    spawnService('frontend', env, start),
    spawnService('router', env, start),
    spawnService('router', env, start),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'gw-node-a' }, start),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'gw-node-b' }, start),
    spawnService('files', env, start),
  ]);
  services.push(...spawned);
  frontends = spawned.slice(0, 2);
  routers = spawned.slice(2, 4);
  presences = spawned.slice(4, 6);
  const files = spawned[6]!;
  const hostPort = (s: ServiceProcess) => `127.0.0.1:${s.port}`;
  const s3 = new URL(env.S3_ENDPOINT!);
  gw = await startGatewayNginx({
    GATEWAY_FRONTEND_SERVERS: frontends.map(hostPort).join(','),
    GATEWAY_PRESENCE_SERVERS: presences.map(hostPort).join(','),
    GATEWAY_FILES_SERVERS: hostPort(files),
    GATEWAY_OBJECTS_UPSTREAM: `${s3.hostname}:${s3.port}`,
    GATEWAY_OBJECTS_LISTEN: `127.0.0.1:${objectsPort}`,
    GATEWAY_OBJECTS_SERVER_NAME: '127.0.0.1',
    GATEWAY_CORS_ALLOWED_ORIGINS: APP_ORIGIN,
    GATEWAY_RATE_LIMIT_PER_MIN: String(EDGE_LIMIT_PER_MIN),
    GATEWAY_RATE_LIMIT_BURST: String(EDGE_BURST),
  });
  agent = new Agent({ ca: gw.ca, keepAlive: true, maxSockets: 64 });
}, 240_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  agent?.destroy();
  await gw?.stop();
  await Promise.allSettled(services.map((s) => s.stop('SIGKILL')));
  if (env) {
    const store = new S3ObjectStore({
      endpoint: env.S3_ENDPOINT!,
      accessKey: env.S3_ACCESS_KEY!,
      secretKey: env.S3_SECRET_KEY!,
      region: env.S3_REGION!,
      bucket: env.S3_BUCKET!,
    });
    for (const key of await store.list('').catch(() => [] as string[])) await store.remove(key).catch(() => {});
    await store.client.removeBucket(store.bucket).catch(() => {});
    await cleanupTestEnv(env);
  }
});

describe('the production gateway (nginx) in front of a scaled-out hub', () => {
  it('REST over TLS: HTTP redirects to HTTPS; health, routing, security headers, body limits, no /metrics', async () => {
    const plain = await call('GET', `${gw.httpUrl}/v1/conversations?x=1`);
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe(`${gw.url.replace('127.0.0.1', 'localhost')}/v1/conversations?x=1`);

    const ready = await api('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok' });
    expect((await api('GET', '/metrics')).status).toBe(404);
    expect((await api('GET', '/v1/files/../../metrics')).status).toBe(404);

    const alice = await user();
    const list = await api('GET', `/v1/conversations?username=${alice.username}`, { token: alice.token });
    expect(list.status, list.text).toBe(200);
    expect(list.body).toEqual({ conversations: [] });
    expect(list.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(list.headers['x-content-type-options']).toBe('nosniff');
    expect(list.headers['x-request-id']).toBeTruthy();

    // The web client's place (from the repository: its placeholder page; the image puts the build there), under the page's own CSP.
    const web = await api('GET', '/');
    expect(web.status).toBe(200);
    expect(web.headers['content-type']).toMatch(/^text\/html/);
    expect(web.text).toContain('The web client is not built yet');
    expect(web.headers['content-security-policy']).toContain("script-src 'self'");
    expect(web.headers['content-security-policy']).toContain("frame-ancestors 'none'");

    // Body limits per route, refused at the edge as problem+json.
    const big = await api('POST', '/v1/presence/query', {
      token: alice.token,
      raw: randomBytes(100 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toBe('application/problem+json');
    expect(big.body.title).toBe('Payload too large');
    const absolute = await new Promise<number>((resolve, reject) => {
      const req = request(
        { hostname: '127.0.0.1', port: new URL(gw.url).port, path: 'http://etcd:2379/version', agent, ca: gw.ca },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(absolute).toBe(400);
  });

  it('CORS: a preflight from an allowed origin is answered at the edge, another origin is refused, answers carry one allow header', async () => {
    const pre = await api('OPTIONS', '/v1/messages', {
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toMatch(/Authorization.*Content-Type/);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();

    const refused = await api('OPTIONS', '/v1/messages', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.body.type).toBe('https://hub.example/problems/forbidden');

    const alice = await user();
    const actual = await api('GET', `/v1/conversations?username=${alice.username}`, {
      token: alice.token,
      headers: { origin: APP_ORIGIN },
    });
    expect(actual.status).toBe(200);
    // Exactly one value: the frontend's own CORS header (CORS_ALLOWED_ORIGINS is set there too) is dropped.
    expect(actual.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(actual.headers['access-control-expose-headers']).toBe('Retry-After, Location, X-Request-Id');
    const other = await api('GET', `/v1/conversations?username=${alice.username}`, {
      token: alice.token,
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('WebSocket upgrade through the gateway: two users on different presence nodes reach each other', { timeout: 60_000 }, async () => {
    const [alice, bob] = await Promise.all([user(), user()]);
    const conv = await conversation(alice, bob);
    await api('POST', `/v1/conversations/${conv}/accept`, { token: bob.token });
    const a = await connectWs(alice.token);
    let b = await connectWs(bob.token);
    // Round robin puts consecutive upgrades on different nodes; confirm on
    // the nodes themselves (and reconnect bob if another test's socket
    // took a turn in between).
    for (let i = 0; i < 5; i++) {
      const counts = await Promise.all(presences.map(wsConnections));
      if (counts[0] === 1 && counts[1] === 1) break;
      b.ws.close();
      await eventually(async () => (await Promise.all(presences.map(wsConnections))).reduce((x, y) => x + y, 0) === 1, {
        what: 'old socket closed',
      });
      b = await connectWs(bob.token);
    }
    expect(await Promise.all(presences.map(wsConnections))).toEqual([1, 1]);

    a.ws.send(
      JSON.stringify({
        op: 'send',
        d: { client_msg_id: 'gw-1', conversation_id: conv, payload: { type: 'text', text: 'hello through nginx' } },
      }),
    );
    const message = await eventually(() => b.frames.find((f) => f.op === 'message' && f.d.conversation_id === conv), {
      what: 'message at bob',
      timeoutMs: 30_000,
    });
    expect(message.d.from).toBe(alice.username);
    expect(message.d.payload.text).toBe('hello through nginx');
    a.ws.close();
    b.ws.close();
  });

  it('files: routed to the files service, presigned URLs on the public endpoint, upload and download through it', async () => {
    const alice = await user();
    const bytes = randomBytes(32 * 1024);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const init = await api('POST', '/v1/files/initiate', {
      token: alice.token,
      body: { filename: 'report.pdf', size: bytes.length, content_type: 'application/pdf', sha256 },
    });
    expect(init.status, init.text).toBe(201);
    expect(init.body.upload.mode).toBe('single');
    const putUrl = new URL(init.body.upload.url as string);
    expect(putUrl.origin).toBe(gw.objectsUrl);
    const put = await call('PUT', putUrl.href, { raw: bytes });
    expect(put.status, put.text).toBe(200);
    const done = await api('POST', '/v1/files/complete', { token: alice.token, body: { file_id: init.body.file_id } });
    expect(done.status, done.text).toBe(200);
    const file = await api('GET', `/v1/files/${init.body.file_id}`, { token: alice.token });
    expect(file.status, file.text).toBe(200);
    const getUrl = new URL(file.body.download.url as string);
    expect(getUrl.origin).toBe(gw.objectsUrl);
    const got = await new Promise<Buffer>((resolve, reject) => {
      const req = request(getUrl, { agent, ca: gw.ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
    expect(got.equals(bytes)).toBe(true);
    // The signature covers the host: the same path on the internal endpoint is refused.
    expect((await fetch(new URL(putUrl.pathname + putUrl.search, env.S3_ENDPOINT), { method: 'PUT', body: bytes })).status).toBe(403);
  });

  it('the edge limit: one token past its budget gets 429 problem+json with Retry-After from nginx, others are unaffected', async () => {
    const [greedy, calm] = await Promise.all([user(), user()]);
    const path = `/v1/conversations?username=${greedy.username}`;
    const answers = await Promise.all(
      Array.from({ length: EDGE_BURST * 4 }, () => api('GET', path, { token: greedy.token, headers: { origin: APP_ORIGIN } })),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    const first = limited[0]!;
    expect(first.headers['retry-after']).toBe('1');
    expect(first.headers['content-type']).toBe('application/problem+json');
    expect(first.body.type).toBe('https://hub.example/problems/rate-limited');
    expect(first.body.detail).toContain('gateway limit');
    // A page can read it: CORS headers are on the 429 too.
    expect(first.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect((await api('GET', `/v1/conversations?username=${calm.username}`, { token: calm.token })).status).toBe(200);
  });

  it(
    'a router killed (SIGKILL) mid-load: every message answered 202 is stored, as the history API shows',
    { timeout: 150_000 },
    async () => {
      const senders = await Promise.all([user(), user(), user(), user()]);
      const peer = await user();
      const convs = await Promise.all(senders.map((s) => conversation(s, peer)));
      const accepted = new Map<string, string[]>(convs.map((c) => [c, []]));
      const PER_SENDER = 40;
      let done = 0;
      const send = async (i: number) => {
        const s = senders[i]!;
        const conv = convs[i]!;
        for (let k = 0; k < PER_SENDER; k++) {
          const id = randomUUID();
          // Retried under the same id on the edge's 429 or a 503: the id makes it safe.
          for (let attempt = 0; ; attempt++) {
            const res = await api('POST', '/v1/messages', {
              token: s.token,
              body: { message_id: id, conversation_id: conv, from: s.username, payload: { type: 'text', text: `#${k}` } },
            });
            if (res.status === 202) {
              accepted.get(conv)!.push(id);
              break;
            }
            expect([429, 503], res.text).toContain(res.status);
            expect(attempt).toBeLessThan(20);
            await new Promise((r) => setTimeout(r, Number(res.headers['retry-after'] ?? 1) * 1000));
          }
          done++;
        }
      };
      let killedHadStored = 0;
      const killer = (async () => {
        await eventually(() => done >= (PER_SENDER * senders.length) / 2, {
          timeoutMs: 90_000,
          intervalMs: 20,
          what: 'half the load sent',
        });
        // The router that has stored the most so far: it certainly owns partitions this load uses.
        const counts = await Promise.all(routers.map(persisted));
        const victim = routers[counts[0]! >= counts[1]! ? 0 : 1]!;
        killedHadStored = Math.max(...counts);
        victim.proc.kill('SIGKILL');
        await victim.exited;
      })();
      await Promise.all([...senders.map((_, i) => send(i)), killer]);
      const total = [...accepted.values()].reduce((n, ids) => n + ids.length, 0);
      expect(total).toBe(PER_SENDER * senders.length);
      expect(killedHadStored).toBeGreaterThan(0);

      // The surviving router takes the killed one's partitions (session timeout) and stores the rest.
      for (const [i, conv] of convs.entries()) {
        const stored = await eventually(
          async () => {
            const ids: string[] = [];
            let since = 0;
            for (;;) {
              const page = await api('GET', `/v1/conversations/${conv}/messages?since=${since}&limit=100`, { token: senders[i]!.token });
              expect(page.status, page.text).toBe(200);
              ids.push(...(page.body.messages as Array<{ message_id: string }>).map((m) => m.message_id));
              if (page.body.next_cursor === undefined) break;
              since = page.body.next_cursor as number;
            }
            return ids.length >= PER_SENDER ? ids : undefined;
          },
          { timeoutMs: 90_000, intervalMs: 500, what: `all ${PER_SENDER} messages of sender ${i} in history` },
        );
        expect(new Set(stored)).toEqual(new Set(accepted.get(conv)));
        expect(stored).toHaveLength(PER_SENDER);
      }
    },
  );
});
