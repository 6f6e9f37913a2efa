import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { AddressInfo } from 'node:net';

/** One Bot API request as the fake received it. */
export interface FakeTelegramCall {
  method: string;
  params: Record<string, unknown>;
  /** HTTP status the fake answered. */
  status: number;
  at: number;
  /** What the fake answered on success (`message_id` for sends). */
  result?: Record<string, unknown>;
  /** For documents sent by URL or uploaded: what the fake could read of the file. */
  document?: { source: 'url' | 'upload'; filename?: string; bytes: number; fetchStatus?: number };
}

interface Fault {
  status: number;
  until?: number;
  remaining?: number;
  retryAfterS?: number;
  /** Answer with a non-JSON body, as a proxy in front of the Bot API would. */
  html?: boolean;
  chatId?: string;
}

/**
 * A fake Telegram Bot API server for tests: real HTTP on 127.0.0.1 (port 0),
 * reached by grammY through TELEGRAM_API_ROOT exactly as a self-hosted Bot
 * API server would be. It implements the methods the hub uses (getMe,
 * sendMessage, sendDocument, setWebhook, getFile and file downloads),
 * records every call, and can be told to misbehave: 5xx for a period, 429
 * with retry_after, "chat not found", "bot was blocked", slow answers.
 */
export class FakeTelegramServer {
  readonly calls: FakeTelegramCall[] = [];
  private faults: Fault[] = [];
  private readonly missingChats = new Set<string>();
  private readonly blockedChats = new Set<string>();
  private readonly files = new Map<string, { bytes: Uint8Array; path: string }>();
  private messageIds = 0;
  private delayMs = 0;
  webhook?: { url: string; secret_token?: string };

  private constructor(
    private readonly server: ServerType,
    readonly apiRoot: string,
    readonly token: string,
    readonly botUsername: string,
  ) {}

  static start(opts: { token?: string; botUsername?: string; port?: number } = {}): Promise<FakeTelegramServer> {
    const token = opts.token ?? `123456:${'A'.repeat(10)}fake${Math.random().toString(36).slice(2, 12).padEnd(10, 'x')}`;
    const botUsername = opts.botUsername ?? 'hub_test_bot';
    const app = new Hono();
    let fake: FakeTelegramServer | undefined;
    app.all('/bot:token/:method', async (c) => fake!.handle(c, c.req.param('token') ?? '', c.req.param('method') ?? ''));
    app.get('/file/bot:token/:path{.+}', (c) => fake!.download(c, c.req.param('token') ?? '', c.req.param('path') ?? ''));
    return new Promise((resolve, reject) => {
      const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: opts.port ?? 0 }, (info: AddressInfo) => {
        fake = new FakeTelegramServer(server, `http://127.0.0.1:${info.port}`, token, botUsername);
        resolve(fake);
      });
      server.once('error', reject);
    });
  }

  /** Successful calls of one method, in order (what "reached Telegram"). */
  sent(method = 'sendMessage'): FakeTelegramCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  /** Texts successfully sent to one chat, in order. */
  textsTo(chatId: string | number): string[] {
    return this.sent('sendMessage')
      .filter((c) => String(c.params.chat_id) === String(chatId))
      .map((c) => String(c.params.text));
  }

  /** Every Bot API call answers `status` (500 by default) for the next `ms`. */
  failFor(ms: number, status = 500, opts: { html?: boolean } = {}): void {
    this.faults.push({ status, until: Date.now() + ms, ...opts });
  }

  /** The next `count` calls answer `status`. */
  failNext(count: number, status = 500, opts: { html?: boolean } = {}): void {
    this.faults.push({ status, remaining: count, ...opts });
  }

  /** The next `count` sends (to `chatId`, or to any chat) answer 429 with `retry_after`. */
  rateLimitNext(count: number, retryAfterS: number, chatId?: string | number): void {
    this.faults.push({ status: 429, remaining: count, retryAfterS, ...(chatId !== undefined ? { chatId: String(chatId) } : {}) });
  }

  /** Sends to this chat answer 400 "chat not found" (until `restoreChat`). */
  chatNotFound(chatId: string | number): void {
    this.missingChats.add(String(chatId));
  }

  restoreChat(chatId: string | number): void {
    this.missingChats.delete(String(chatId));
    this.blockedChats.delete(String(chatId));
  }

  /** Sends to this chat answer 403 "bot was blocked by the user". */
  blockedBy(chatId: string | number): void {
    this.blockedChats.add(String(chatId));
  }

  /** Every answer is delayed by `ms` (slow provider). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Clears faults and the delay. */
  heal(): void {
    this.faults = [];
    this.delayMs = 0;
    this.missingChats.clear();
    this.blockedChats.clear();
  }

  /** A file a Telegram user "sent", downloadable through getFile and /file/bot<token>/<path>. */
  addFile(fileId: string, bytes: Uint8Array, filename = 'file.bin'): void {
    this.files.set(fileId, { bytes, path: `documents/${filename}` });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      (this.server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }

  private async handle(c: Context, token: string, method: string): Promise<Response> {
    const params = await readParams(c);
    const call: FakeTelegramCall = { method, params: plain(params), status: 200, at: Date.now() };
    this.calls.push(call);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const answer = (status: number, body: { result?: unknown; [field: string]: unknown }) => {
      call.status = status;
      if (status === 200 && typeof body.result === 'object' && body.result !== null) call.result = body.result as Record<string, unknown>;
      return c.json(body, status as 200);
    };
    if (token !== this.token) return answer(401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const fault = this.takeFault(method, params);
    if (fault) {
      call.status = fault.status;
      if (fault.html) return c.html('<html><body><h1>502 Bad Gateway</h1></body></html>', fault.status as 502);
      if (fault.status === 429)
        return answer(429, {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${fault.retryAfterS}`,
          parameters: { retry_after: fault.retryAfterS },
        });
      return answer(fault.status, { ok: false, error_code: fault.status, description: 'Internal Server Error' });
    }

    const chatId = params.chat_id === undefined ? undefined : String(params.chat_id);
    if (chatId !== undefined && this.missingChats.has(chatId))
      return answer(400, { ok: false, error_code: 400, description: 'Bad Request: chat not found' });
    if (chatId !== undefined && this.blockedChats.has(chatId))
      return answer(403, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });

    const now = Math.floor(Date.now() / 1000);
    const chat = { id: Number(chatId), type: 'private', first_name: 'Test' };
    switch (method) {
      case 'getMe':
        return answer(200, {
          ok: true,
          result: {
            id: Number(this.token.split(':')[0]),
            is_bot: true,
            first_name: 'Hub test bot',
            username: this.botUsername,
            can_join_groups: true,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        });
      case 'setWebhook':
        this.webhook = { url: String(params.url), ...(params.secret_token ? { secret_token: String(params.secret_token) } : {}) };
        return answer(200, { ok: true, result: true, description: 'Webhook was set' });
      case 'deleteWebhook':
        this.webhook = undefined;
        return answer(200, { ok: true, result: true });
      case 'sendMessage': {
        const text = params.text === undefined ? '' : String(params.text);
        if (!chatId || !text) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
        if (text.length > 4096) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
        return answer(200, { ok: true, result: { message_id: ++this.messageIds, date: now, chat, text } });
      }
      case 'sendDocument': {
        const doc = params.document;
        if (!chatId || doc === undefined)
          return answer(400, { ok: false, error_code: 400, description: 'Bad Request: there is no document in the request' });
        if (typeof doc === 'string' && doc.startsWith('attach://')) {
          // grammY uploads: the field names the multipart part that carries the bytes.
          const part = params[doc.slice('attach://'.length)] as File | undefined;
          if (!part || typeof part === 'string')
            return answer(400, { ok: false, error_code: 400, description: 'Bad Request: file part missing' });
          call.document = { source: 'upload', filename: part.name, bytes: (await part.arrayBuffer()).byteLength };
        } else if (typeof doc === 'string') {
          // Like Telegram, fetch the URL we were given (test servers are on 127.0.0.1 only).
          const res = /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(doc) ? await fetch(doc).catch(() => undefined) : undefined;
          const bytes = res?.ok ? (await res.arrayBuffer()).byteLength : 0;
          call.document = { source: 'url', bytes, ...(res ? { fetchStatus: res.status } : {}) };
          if (!res?.ok) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: failed to get HTTP URL content' });
        } else {
          const file = doc as File;
          call.document = { source: 'upload', filename: file.name, bytes: (await file.arrayBuffer()).byteLength };
        }
        const fileName = call.document.filename ?? 'document';
        return answer(200, {
          ok: true,
          result: {
            message_id: ++this.messageIds,
            date: now,
            chat,
            document: { file_id: `doc-${this.messageIds}`, file_unique_id: `u-${this.messageIds}`, file_name: fileName },
            ...(params.caption ? { caption: String(params.caption) } : {}),
          },
        });
      }
      case 'getFile': {
        const f = this.files.get(String(params.file_id));
        if (!f) return answer(400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
        return answer(200, {
          ok: true,
          result: {
            file_id: String(params.file_id),
            file_unique_id: `u-${String(params.file_id)}`,
            file_size: f.bytes.byteLength,
            file_path: f.path,
          },
        });
      }
      default:
        return answer(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
  }

  private download(c: Context, token: string, path: string): Response {
    if (token !== this.token) return c.text('Unauthorized', 401);
    const f = [...this.files.values()].find((x) => x.path === path);
    if (!f) return c.text('Not Found', 404);
    return new Response(f.bytes, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(f.bytes.byteLength) } });
  }

  private takeFault(method: string, params: Record<string, unknown>): Fault | undefined {
    const now = Date.now();
    this.faults = this.faults.filter((f) => (f.until === undefined || f.until > now) && (f.remaining === undefined || f.remaining > 0));
    const isSend = method.startsWith('send');
    const fault = this.faults.find((f) => (f.status !== 429 || isSend) && (f.chatId === undefined || f.chatId === String(params.chat_id)));
    if (fault?.remaining !== undefined) fault.remaining--;
    return fault;
  }
}

async function readParams(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (type.includes('application/json')) return ((await c.req.json().catch(() => ({}))) ?? {}) as Record<string, unknown>;
  if (type.includes('multipart/form-data')) {
    const boundary = /boundary=("?)([^";]+)\1/i.exec(type)?.[2];
    if (!boundary) return {};
    return parseMultipart(Buffer.from(await c.req.arrayBuffer()), boundary);
  }
  if (type.includes('application/x-www-form-urlencoded')) {
    const body = await c.req.parseBody();
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) out[k] = v;
    return out;
  }
  return Object.fromEntries(new URL(c.req.url).searchParams);
}

/** Params without File objects, for recording. */
function plain(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = typeof v === 'object' && v !== null && 'arrayBuffer' in v ? '[file]' : v;
  return out;
}

/**
 * grammY writes multipart headers tersely (`content-disposition:form-data;name="x";filename=a.txt`,
 * unquoted file names) which Telegram accepts but undici's FormData parser rejects, so the fake
 * parses parts itself. File parts come back as File objects.
 */
function parseMultipart(body: Buffer, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    // A part is CRLF, headers, CRLF CRLF, content, CRLF.
    const part = body.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename=(?:"([^"]*)"|([^;\r\n]*))/i.exec(headers);
    if (name !== undefined) out[name] = filename ? new File([content], filename[1] ?? filename[2] ?? 'file') : content.toString('utf8');
    pos = next;
  }
  return out;
}
