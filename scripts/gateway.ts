import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { SECURITY_HEADERS } from '../packages/platform/src/http/security-headers';
import { parseOriginForm, routeFor, type Route } from './gateway-target';
import { isWebPath, serveWeb } from './gateway-static';

export interface Upstreams {
  frontend: string;
  presence: string;
  files: string;
  router: string;
}

interface Origin {
  hostname: string;
  port: number;
}

/**
 * The local stand-in for the production gateway (deploy/gateway, docs/gateway.md):
 * one base URL, routing `/v1/files` to files, `/v1/ws` and `/v1/presence` to
 * presence (including WebSocket upgrades), everything else to frontend.
 * Only origin-form request targets are accepted and each is normalised before
 * routing (scripts/gateway-target.ts); the outgoing request is built from the
 * chosen upstream's fixed host and port plus the normalised path, never from
 * the request's target or Host. `/metrics` is not served here, and
 * `/health/live|ready` answer one overall status, without the services'
 * dependency details (those stay on each service's own port). With `webRoot`,
 * the web client's files answer every other path (scripts/gateway-static.ts). CORS is the
 * services' own (CORS_ALLOWED_ORIGINS): preflights and their answers pass
 * through like any request.
 */
export async function startGateway(opts: {
  host: string;
  port: number;
  upstreams: Upstreams;
  /** The built web client (web/dist), served at `/`; none: those paths go to frontend. */ webRoot?: string;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const origins = {
    frontend: originOf(opts.upstreams.frontend),
    presence: originOf(opts.upstreams.presence),
    files: originOf(opts.upstreams.files),
  };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const target = parseOriginForm(req.url ?? '');
    if (!target.ok) return sendProblem(res, 400, 'bad-request', 'Bad request', target.reason);
    const route = routeFor(target.path);
    if (route === 'denied') return sendProblem(res, 404, 'not-found', 'Not found', `no route for ${req.method} ${target.path}`);
    if (route === 'health') return void overallHealth(target.path, opts.upstreams, res);
    if (route === 'frontend' && opts.webRoot && isWebPath(target.path)) return serveWeb(opts.webRoot, target.path, req, res);
    proxyHttp(req, res, origins[route], target.path + target.search);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // CONNECT (authority form) would otherwise just drop the connection.
  server.on('connect', (req: IncomingMessage, socket: Duplex) =>
    rawProblem(socket, 405, 'method-not-allowed', 'Method not allowed', 'CONNECT is not supported: this is not a forward proxy'),
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseOriginForm(req.url ?? '');
    if (!target.ok) return rawProblem(socket, 400, 'bad-request', 'Bad request', target.reason);
    const route: Route = routeFor(target.path);
    if (route !== 'presence' || target.path !== '/v1/ws')
      return rawProblem(socket, 404, 'not-found', 'Not found', `no WebSocket endpoint at ${target.path}; use /v1/ws`);
    const origin = origins.presence;
    const upstream = connect(origin.port, origin.hostname, () => {
      const lines = [`${req.method} ${target.path}${target.search} HTTP/1.1`];
      for (const [name, value] of Object.entries(forwardHeaders(req, origin, true))) {
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(v)}`);
      }
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const drop = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', drop);
    socket.on('error', drop);
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function originOf(base: string): Origin {
  const u = new URL(base);
  return { hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 80) };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection and are not passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function forwardHeaders(req: IncomingMessage, origin: Origin, upgrade: boolean): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  if (upgrade) {
    headers.connection = 'Upgrade';
    if (req.headers.upgrade) headers.upgrade = req.headers.upgrade;
  }
  headers.host = `${origin.hostname.includes(':') ? `[${origin.hostname}]` : origin.hostname}:${origin.port}`;
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = 'http';
  return headers;
}

function proxyHttp(req: IncomingMessage, res: ServerResponse, origin: Origin, path: string): void {
  const out = request({
    host: origin.hostname,
    port: origin.port,
    method: req.method,
    path,
    headers: forwardHeaders(req, origin, false),
    agent: false,
  });
  let answered = false;
  out.on('response', (up) => {
    res.writeHead(up.statusCode ?? 502, withoutHopByHop(up.headers));
    up.pipe(res);
    up.once('end', () => {
      answered = true;
      // An upstream may answer before reading the whole body (a 413, say)
      // and close its connection. The rest of the client's body is then
      // read and dropped here, so the client's connection to the gateway
      // reaches the next request instead of stalling or being reset.
      if (!req.complete) {
        req.unpipe(out);
        req.resume();
      }
    });
  });
  out.on('error', (err) => {
    // Writing the rest of a body the upstream no longer reads fails once it
    // has answered and closed; the answer itself is complete.
    if (answered || res.writableEnded) return;
    if (res.headersSent) return res.destroy();
    sendProblem(res, 502, 'bad-gateway', 'Bad gateway', `upstream ${origin.hostname}:${origin.port} did not answer: ${err.message}`);
  });
  req.pipe(out);
}

/**
 * One status for the whole hub: ok only if every service is. The services'
 * own reports name dependencies and latencies; those are for operators on
 * the service ports, not for the public base URL.
 */
async function overallHealth(path: string, upstreams: Upstreams, res: ServerResponse): Promise<void> {
  const results = await Promise.all(
    Object.values(upstreams).map(async (base) => {
      try {
        const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(3_000) });
        await r.body?.cancel();
        return r.ok;
      } catch {
        return false;
      }
    }),
  );
  const ok = results.every(Boolean);
  res.writeHead(ok ? 200 : 503, { ...SECURITY_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable' }));
}

function problemJson(status: number, type: string, title: string, detail: string): string {
  return JSON.stringify({ type: `https://hub.example/problems/${type}`, title, status, detail });
}

function sendProblem(res: ServerResponse, status: number, type: string, title: string, detail: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/problem+json' });
  res.end(problemJson(status, type, title, detail));
}

/** A problem on a socket Node has handed over (upgrade, CONNECT); the connection is closed after it. */
function rawProblem(socket: Duplex, status: number, type: string, title: string, detail: string): void {
  const body = problemJson(status, type, title, detail);
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': 'application/problem+json',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  };
  const lines = [`HTTP/1.1 ${status} ${title}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.on('error', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
