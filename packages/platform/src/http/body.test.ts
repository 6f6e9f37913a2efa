import { serve } from '@hono/node-server';
import { request as httpRequest, Agent, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp } from './app';
import { readJson } from './body';
import { listen, type RunningServer } from './serve';
import { chunkedBody, RawHttpClient } from '../../../../test/support/raw-http';

const LIMIT = 1024;
const Body = z.object({ text: z.string() });

/** A service app with one JSON route; it reports whether the adapter had to build a web Request for the body. */
function bodyApp() {
  const app = createServiceApp({ service: 'body-test', logger: pino({ level: 'silent' }), registry: new Registry(), checks: [] });
  app.post('/echo', async (c) => {
    const body = await readJson(c, Body, { limitBytes: LIMIT });
    // @hono/node-server keeps the undici Request it builds on demand under this symbol (checked with 2.1.9).
    const webRequestBuilt = Object.getOwnPropertySymbols(c.req.raw).some((s) => s.description === 'requestCache');
    return c.json({ body, webRequestBuilt });
  });
  return app;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  json: any;
}

/**
 * POSTs through node:http so the test controls framing: `chunks` are written
 * one by one (chunked unless a content-length header is given), and the
 * promise settles only once the whole upload has gone out and the reply has
 * been read, so a server that stops reading without draining makes it hang.
 */
function post(url: string, chunks: (string | Buffer)[], headers: Record<string, string | number> = {}, agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/echo`, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } });
    let reply: Reply | undefined;
    let uploaded = false;
    const settle = () => reply && uploaded && resolve(reply);
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        reply = { status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : undefined };
        settle();
      });
    });
    // Written without waiting for 'drain': node:http stops emitting it on a request
    // whose response has already ended, while the socket itself keeps sending.
    for (const chunk of chunks) req.write(chunk);
    req.end(() => {
      uploaded = true;
      settle();
    });
  });
}

const big = (n: number) => Array.from({ length: n }, () => Buffer.alloc(64 * 1024, 'x'));

describe('readJson through a real @hono/node-server listener', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await listen(bodyApp(), { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.close());

  it('reads a JSON body straight from the node request', async () => {
    const r = await post(server.url, ['{"text":', '"hello"}']);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ body: { text: 'hello' }, webRequestBuilt: false });
    const fixed = await post(server.url, ['{"text":"héllo"}'], { 'content-length': Buffer.byteLength('{"text":"héllo"}') });
    expect(fixed.json).toEqual({ body: { text: 'héllo' }, webRequestBuilt: false });
  });

  it('answers 400 invalid_json for malformed and for empty bodies', async () => {
    const bad = await post(server.url, ['{"text": "x",']);
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json.type).toContain('invalid-json');
    const empty = await post(server.url, [], { 'content-length': 0 });
    expect(empty.status).toBe(400);
    expect(empty.json.type).toContain('invalid-json');
  });

  it('answers 413 to a chunked body past the limit, and the client gets to finish its upload', async () => {
    const r = await post(server.url, [Buffer.alloc(LIMIT - 10, ' '), ...big(64)]);
    expect(r.status).toBe(413);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json).toMatchObject({ limit_bytes: LIMIT });
  });

  it('answers 413 to a declared Content-Length past the limit without waiting for the body', async () => {
    const r = await new Promise<Reply>((resolve, reject) => {
      // Headers only: the 100 MB body (past what is drained) never comes, so only an answer before reading can arrive.
      const req = httpRequest(`${server.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': 100_000_000 },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text) });
          req.destroy();
        });
      });
      req.flushHeaders();
    });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ limit_bytes: LIMIT });
  });
});

describe('the connection after a 413 (issue 22, finding 6), on a raw socket', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await listen(bodyApp(), { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.close());
  const head = 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
  const second = 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"text":"again"}';

  it('an oversized chunked body that pauses mid-upload gets its 413 once it has ended, and the same socket serves the next request', async () => {
    const client = await RawHttpClient.open(server.port);
    try {
      const chunks = chunkedBody(LIMIT * 64, 4 * 1024);
      await client.write(head);
      await client.write(Buffer.concat(chunks.slice(0, chunks.length / 2)));
      // A slow link: longer than the adapter's own 500 ms drain of an unread body.
      await new Promise((r) => setTimeout(r, 900));
      await client.write(Buffer.concat(chunks.slice(chunks.length / 2)));
      const r = await client.response();
      expect(r.status).toBe(413);
      expect(r.headers.connection).toBe('keep-alive');
      expect(JSON.parse(r.body)).toMatchObject({ limit_bytes: LIMIT });
      await client.write(second);
      const next = await client.response();
      expect(next.status).toBe(200);
      expect(JSON.parse(next.body)).toMatchObject({ body: { text: 'again' } });
    } finally {
      client.close();
    }
  });

  it('a declared Content-Length past the limit gets a 413 that says "connection: close", the server closes, and a new connection works', async () => {
    const client = await RawHttpClient.open(server.port);
    try {
      await client.write('POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n');
      const r = await client.response();
      expect(r.status).toBe(413);
      expect(r.headers.connection).toBe('close');
      expect(await client.endedWithin(2_000)).toBe('closed');
    } finally {
      client.close();
    }
    const fresh = await RawHttpClient.open(server.port);
    try {
      await fresh.write(second);
      expect((await fresh.response()).status).toBe(200);
    } finally {
      fresh.close();
    }
  });
});

describe('readJson with autoCleanupIncoming off', () => {
  // Without the adapter's drain, only readJson's own discard of the rest lets the
  // client finish uploading and use the connection again.
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const s = serve({ fetch: bodyApp().fetch, hostname: '127.0.0.1', port: 0, autoCleanupIncoming: false });
    await new Promise((r) => s.once('listening', r));
    url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    close = () => new Promise((r) => s.close(() => r()));
  });
  afterAll(() => close());

  it('413 to an oversized chunked body, then the same connection serves the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const r = await post(url, [Buffer.alloc(LIMIT - 10, ' '), ...big(128)], {}, agent);
      expect(r.status).toBe(413);
      const next = await post(url, ['{"text":"again"}'], {}, agent);
      expect(next.json).toEqual({ body: { text: 'again' }, webRequestBuilt: false });
    } finally {
      agent.destroy();
    }
  });
});

describe('readJson without a node request (app.request, other runtimes)', () => {
  const app = bodyApp();
  const send = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    app.request('/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);

  it('reads through the web stream: JSON, malformed JSON, a streamed body past the limit', async () => {
    const ok = await send('{"text":"web"}');
    expect(await ok.json()).toEqual({ body: { text: 'web' }, webRequestBuilt: false });
    expect((await send('{"text":')).status).toBe(400);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(LIMIT / 2).fill(32));
        c.close();
      },
    });
    const tooBig = await send(stream);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ limit_bytes: LIMIT });
  });
});
