import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the body had fully arrived. */
  receivedAt: number;
  /** Date.now() when the answer was sent (undefined while hanging or delayed). */
  respondedAt?: number;
}

/** What the receiver does with a call: answer with a status (and body/headers), optionally after a delay, or never answer. */
export type Reply = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  calls: ReceivedCall[];
  /** Decides the reply per call (default: 200). Receives the call and its 1-based number. */
  reply: (call: ReceivedCall, n: number) => Reply;
  close(): Promise<void>;
}

/**
 * A real HTTP server on a loopback address standing in for a business
 * system's webhook endpoint. It records every call; hanging replies keep the
 * connection open until close().
 */
export async function startWebhookReceiver(host = '127.0.0.1', reply?: WebhookReceiver['reply']): Promise<WebhookReceiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    calls: [],
    reply: reply ?? (() => ({ status: 200, body: 'ok' })),
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call: ReceivedCall = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      receiver.calls.push(call);
      const r = receiver.reply(call, receiver.calls.length);
      if (r === 'hang') {
        hanging.add(res);
        return;
      }
      const answer = () => {
        call.respondedAt = Date.now();
        res.writeHead(r.status, r.headers ?? {});
        res.end(r.body ?? '');
      };
      if (r.delayMs) {
        hanging.add(res);
        setTimeout(answer, r.delayMs);
      } else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  receiver.port = port;
  receiver.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

/**
 * Verifies a Standard Webhooks signature the way a receiver would, written
 * from the spec with node:crypto (independent of the sender's library):
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` keyed with
 * the base64-decoded part of the `whsec_` secret; any one of the
 * space-separated `v1,<base64>` signatures may match.
 */
export function verifyWebhookSignature(secret: string, call: Pick<ReceivedCall, 'headers' | 'body'>): boolean {
  const id = call.headers['webhook-id'];
  const timestamp = call.headers['webhook-timestamp'];
  const signatures = call.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${call.body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    if (version !== 'v1' || !sig) return false;
    const given = Buffer.from(sig, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
