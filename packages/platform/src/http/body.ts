import type { Context } from 'hono';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { ProblemError, validationProblem } from './problem';

/**
 * How much of an over-limit body is read and thrown away before the
 * 413, so that the connection is left at a request boundary and the client
 * can reuse it. Past either bound the 413 says `Connection: close` instead.
 */
const OVERSIZE_DRAIN_BYTES = 16 * 1024 * 1024;
const OVERSIZE_DRAIN_MS = 5_000;

export interface JsonBodyOptions {
  /** Largest accepted body in bytes; larger bodies get 413 before being parsed. */
  limitBytes: number;
}

/**
 * Reads a JSON body and validates it against a schema at the edge:
 * 415 for another content type, 413 past the limit (checked while reading,
 * so a lying Content-Length cannot get past it), 400 for malformed JSON or
 * a body that fails the schema, naming the field.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, opts: JsonBodyOptions): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ProblemError('unsupported_media_type', `Content-Type must be application/json, got ${type ? JSON.stringify(type) : 'none'}`);
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > opts.limitBytes) throw await refuseDeclared(c, opts.limitBytes, declared);
  const text = await readLimited(c, opts.limitBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProblemError('invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

/** Validates query parameters (strings) against a schema; 400 naming the parameter. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw validationProblem(parsed.error, 'query');
  return parsed.data;
}

/**
 * Like readJson, but also accepts `application/x-www-form-urlencoded`, as
 * OAuth 2.0 clients send to token endpoints. Form fields arrive as strings;
 * a field given twice is rejected rather than silently picking one.
 */
export async function readJsonOrForm<S extends z.ZodType>(c: Context, schema: S, opts: JsonBodyOptions): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    if (/^application\/([\w.+-]+\+)?json\b/i.test(type)) return readJson(c, schema, opts);
    throw new ProblemError(
      'unsupported_media_type',
      `Content-Type must be application/json or application/x-www-form-urlencoded, got ${type ? JSON.stringify(type) : 'none'}`,
    );
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > opts.limitBytes) throw await refuseDeclared(c, opts.limitBytes, declared);
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(await readLimited(c, opts.limitBytes))) {
    if (fields.has(key))
      throw new ProblemError('validation_failed', `body: ${key}: given more than once`, {
        errors: [{ field: key, message: 'given more than once' }],
      });
    fields.set(key, value);
  }
  const parsed = schema.safeParse(Object.fromEntries(fields));
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

/**
 * The 413. `close` when the rest of the body was not read: the connection
 * is not at a request boundary, so it is not offered for reuse.
 */
function tooLarge(limit: number, opts: { close?: boolean } = {}): ProblemError {
  return new ProblemError('payload_too_large', `body exceeds the limit of ${limit} bytes`, {
    extra: { limit_bytes: limit },
    ...(opts.close ? { headers: { Connection: 'close' } } : {}),
  });
}

/**
 * The 413 for a Content-Length past the limit. A body within the drain
 * bounds is read and dropped first so the connection stays usable (closing
 * on a client still sending resets the socket, and the client may lose the
 * answer); a bigger one is not worth reading, and the 413 closes.
 */
async function refuseDeclared(c: Context, limit: number, declared: number): Promise<ProblemError> {
  const incoming = unreadNodeBody(c);
  if (!incoming || declared > OVERSIZE_DRAIN_BYTES) {
    if (incoming) discardRest(incoming);
    return tooLarge(limit, { close: true });
  }
  const it = (incoming.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer>)[Symbol.asyncIterator]();
  if (await drainBounded(it, OVERSIZE_DRAIN_BYTES, OVERSIZE_DRAIN_MS)) return tooLarge(limit);
  discardRest(incoming);
  return tooLarge(limit, { close: true });
}

/** The body as UTF-8 text, 413 as soon as more than `limit` bytes have arrived. */
function readLimited(c: Context, limit: number): Promise<string> {
  const incoming = unreadNodeBody(c);
  return incoming ? readLimitedNode(incoming, limit) : readLimitedWeb(c.req.raw, limit);
}

/**
 * The node request under @hono/node-server (`c.env.incoming`), while its
 * body is still unread. Reading it directly spares the adapter building an
 * undici Request, Headers, AbortSignal and web ReadableStream per request
 * (~8% of frontend CPU on POST /v1/messages). Absent under app.request()
 * (tests) or once something has read through c.req.raw, which then holds
 * the rest of the body.
 */
function unreadNodeBody(c: Context): Readable | undefined {
  const incoming = (c.env as { incoming?: Readable } | undefined)?.incoming;
  if (!incoming || typeof incoming.iterator !== 'function') return undefined;
  if (incoming.readableDidRead || c.req.raw.bodyUsed) return undefined;
  return incoming;
}

async function readLimitedNode(incoming: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  // destroyOnReturn: false, because leaving early must not destroy the
  // request: that resets the socket and the client may never see the 413.
  const it = (incoming.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    total += r.value.byteLength;
    if (total > limit) break;
    chunks.push(r.value);
  }
  if (total > limit) {
    // Answering before the body has ended would leave the rest of it on a
    // connection marked keep-alive; the adapter then stops draining after
    // 500 ms and resets the socket under the client (issue 22, finding 6).
    const ended = await drainBounded(it, OVERSIZE_DRAIN_BYTES, OVERSIZE_DRAIN_MS);
    if (ended) throw tooLarge(limit);
    discardRest(incoming);
    throw tooLarge(limit, { close: true });
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, total).toString('utf8');
}

/** Reads and drops chunks until the body ends (true) or a bound is hit (false). */
async function drainBounded(it: AsyncIterator<Buffer>, maxBytes: number, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let drained = 0;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)));
    const r = await Promise.race([it.next(), timeout]);
    clearTimeout(timer);
    if (r === 'timeout') return false;
    if (r.done) return true;
    drained += r.value.byteLength;
    if (drained > maxBytes) return false;
  }
}

/**
 * Lets the rest of an over-limit body flow into a no-op, as Node does for a
 * body nobody reads, while the 413 (which says `Connection: close`) goes
 * out; otherwise the paused request stalls the socket. The listener keeps
 * the stream flowing whatever order Node runs the iterator's cleanup in;
 * resume() alone can be undone by it.
 */
function discardRest(incoming: Readable): void {
  incoming.on('data', () => {});
  incoming.resume();
}

async function readLimitedWeb(req: Request, limit: number): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
