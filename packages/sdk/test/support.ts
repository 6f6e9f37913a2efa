import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  /** What the proxy did with it. */
  outcome: 'passed' | 'forwarded-then-503';
  /** The upstream's status, when it was forwarded. */
  upstreamStatus?: number;
}

/**
 * A fault-injecting HTTP proxy for one test: forwards everything to the
 * upstream, except that the requests `fault` picks are forwarded (so the
 * hub acts on them) and their real answer is swapped for a 503 with
 * Retry-After — the "request took effect but the answer was lost" case a
 * client must survive without storing twice.
 */
export async function startFaultProxy(
  upstream: string,
  fault: (req: IncomingMessage, n: number) => boolean,
): Promise<{ url: string; requests: ProxiedRequest[]; close(): Promise<void> }> {
  const target = new URL(upstream);
  const requests: ProxiedRequest[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const inject = fault(req, ++n);
    const record: ProxiedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      outcome: inject ? 'forwarded-then-503' : 'passed',
    };
    requests.push(record);
    const up = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (upRes) => {
        record.upstreamStatus = upRes.statusCode;
        if (inject) {
          upRes.resume();
          upRes.once('end', () => {
            res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
            res.end(
              JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'injected by the test proxy' }),
            );
          });
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
