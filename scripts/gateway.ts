import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Upstreams {
  frontend: string;
  presence: string;
  files: string;
  router: string;
}

/**
 * The local stand-in for the production gateway: one base URL, routing
 * `/v1/files` to files, `/v1/ws` and `/v1/presence` to presence (including
 * WebSocket upgrades), everything else to frontend. `/health/ready` here
 * aggregates every service's readiness.
 */
export function pickUpstream(path: string, u: Upstreams): string {
  if (path === '/v1/files' || path.startsWith('/v1/files/') || path.startsWith('/v1/files?')) return u.files;
  if (path === '/v1/ws' || path.startsWith('/v1/ws?') || path.startsWith('/v1/presence')) return u.presence;
  return u.frontend;
}

export async function startGateway(opts: { host: string; port: number; upstreams: Upstreams }): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (req.url === '/health/ready' || req.url === '/health/live') {
      void aggregateHealth(req.url, opts.upstreams, res);
      return;
    }
    proxyHttp(req, res, pickUpstream(req.url ?? '/', opts.upstreams));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    const target = new URL(pickUpstream(req.url ?? '/', opts.upstreams));
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
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

function proxyHttp(req: IncomingMessage, res: ServerResponse, upstream: string): void {
  const target = new URL(req.url ?? '/', upstream);
  const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-host': req.headers.host ?? '' };
  const out = request(target, { method: req.method, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', (err) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(502, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'https://hub.example/problems/bad-gateway', title: 'Bad gateway', status: 502, detail: `upstream ${upstream} did not answer: ${err.message}` }));
  });
  req.pipe(out);
}

async function aggregateHealth(path: string, upstreams: Upstreams, res: ServerResponse): Promise<void> {
  const entries = await Promise.all(
    Object.entries(upstreams).map(async ([name, base]) => {
      try {
        const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(3_000) });
        return [name, { status: r.ok ? 'ok' : 'unavailable', http_status: r.status, detail: await r.json().catch(() => undefined) }] as const;
      } catch (err) {
        return [name, { status: 'unavailable', error: (err as Error).message }] as const;
      }
    }),
  );
  const services = Object.fromEntries(entries);
  const ok = entries.every(([, v]) => v.status === 'ok');
  res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', services }));
}
