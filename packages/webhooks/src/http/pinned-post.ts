import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { VettedTarget } from '../ssrf/url-policy';

export interface PinnedPostOptions {
  target: VettedTarget;
  headers: Record<string, string>;
  body: string;
  /** Deadline for the whole exchange: connect, send, status line and headers. */
  timeoutMs: number;
  /** Response body bytes kept (and read) at most; the rest is never read. */
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface PinnedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first maxResponseBytes of the body, as UTF-8 text. */
  body: string;
  truncated: boolean;
}

/** The call did not produce a response: connection refused or reset, TLS failure, timeout, shutdown. */
export class WebhookRequestError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'aborted',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebhookRequestError';
  }
}

/**
 * POSTs to a vetted target, connecting to the vetted address only: the
 * socket's lookup returns that address instead of resolving the name again,
 * so nothing can change the destination between the check and the
 * connection (DNS rebinding). The URL's host still goes into the Host header
 * and, for https, into SNI and certificate verification. Redirects are never
 * followed (a 3xx is returned like any other status); at most
 * maxResponseBytes of the body are read; the deadline covers everything up
 * to the response headers, and a body still arriving when it passes is cut
 * there.
 */
export function pinnedPost(o: PinnedPostOptions): Promise<PinnedResponse> {
  const { url, hostname, address } = o.target;
  const lookup: LookupFunction = (_host, opts, callback) => {
    const cb = callback as (...args: unknown[]) => void;
    if ((opts as { all?: boolean }).all) cb(null, [{ address: address.address, family: address.family }]);
    else cb(null, address.address, address.family);
  };
  const isHttps = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: 'POST',
    protocol: url.protocol,
    hostname,
    port: url.port || (isHttps ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
    lookup,
    // A fresh connection per call: a pooled socket could outlive the vetting of the address it was opened to.
    agent: false,
    ...(isHttps ? { servername: isIp(hostname) ? undefined : hostname } : {}),
  };

  return new Promise<PinnedResponse>((resolve, reject) => {
    let settled = false;
    let headersSeen = false;
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    let response: http.IncomingMessage | undefined;

    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (response && !response.complete) response.destroy();
      req.destroy();
      if (err && !headersSeen) return reject(err);
      resolve({
        status: response!.statusCode ?? 0,
        headers: response!.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        truncated: truncated || Boolean(err),
      });
    };
    const onAbort = () => finish(new WebhookRequestError('aborted', 'the dispatcher is shutting down'));
    const timer = setTimeout(() => finish(new WebhookRequestError('timeout', `no response within ${o.timeoutMs} ms`)), o.timeoutMs);

    const req = (isHttps ? https : http).request(options, (res) => {
      response = res;
      headersSeen = true;
      res.on('data', (chunk: Buffer) => {
        const room = o.maxResponseBytes - kept;
        if (chunk.length > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          kept = o.maxResponseBytes;
          truncated = true;
          finish();
          return;
        }
        chunks.push(chunk);
        kept += chunk.length;
      });
      res.once('end', () => finish());
      res.once('error', () => finish());
      res.once('aborted', () => finish());
    });
    req.once('error', (err: NodeJS.ErrnoException) =>
      finish(new WebhookRequestError('network', describeNetworkError(err), { cause: err })),
    );
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(o.body);
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

function describeNetworkError(err: NodeJS.ErrnoException): string {
  const code = err.code ? `${err.code}: ` : '';
  return `${code}${err.message}`;
}
