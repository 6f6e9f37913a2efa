import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  port: number;
  url: string;
  server: ServerType;
  /** Stops accepting connections and waits for in-flight requests (bounded by the caller's shutdown timeout). */
  close(): Promise<void>;
}

const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Listens on host:port (port 0 picks a free one) and resolves once listening. */
export function listen(app: Hono<any>, opts: { host: string; port: number }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info: AddressInfo) => {
      const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${info.port}`;
      resolve({
        port: info.port,
        url,
        server,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            // Idle keep-alive sockets would otherwise hold close() open.
            (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    // Node closes an idle keep-alive connection after 5 s; a client (or load
    // balancer) that reuses it just as it closes gets ECONNRESET on a request
    // the server never saw (seen in bench/ws; docs/performance.md). Keeping
    // idle connections longer than common client and proxy idle timeouts
    // (60 s) leaves closing to the client side; headersTimeout must exceed it.
    const http = server as unknown as { keepAliveTimeout: number; headersTimeout: number };
    http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    http.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
    server.once('error', reject);
  });
}
