import { createHash } from 'node:crypto';
import type { FileInfo } from '@hub/domain';
import { ProblemError, type AccessTokens } from '@hub/platform';
import type { InboundFiles } from '../ports/inbound-files';

/**
 * InboundFiles through the files service's own API, acting as the linked
 * user with a short-lived token: initiate (declaring size and SHA-256),
 * PUT to the presigned URL, complete. The files service verifies what
 * arrived, so a bridged file is exactly as trustworthy as an uploaded one.
 * Files from the Bot API are at most 20 MB, so they are read whole and one
 * PUT carries them (the multipart threshold is far above that).
 */
export class FilesApiInboundFiles implements InboundFiles {
  constructor(private readonly opts: { filesUrl: string; tokens: AccessTokens; maxBytes: number }) {}

  async importFile(input: {
    body: ReadableStream<Uint8Array>;
    filename: string;
    contentType: string;
    size?: number;
    conversationId: string;
    username: string;
  }): Promise<FileInfo> {
    if (input.size !== undefined && input.size > this.opts.maxBytes)
      throw new ProblemError('payload_too_large', `files from Telegram may be at most ${this.opts.maxBytes} bytes`);
    const bytes = await readAll(input.body, this.opts.maxBytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const token = await this.opts.tokens.issue(
      { kind: 'user', subject: input.username, scopes: ['files:write'], sessionId: `telegram-bridge:${input.username}` },
      { ttlSeconds: 300 },
    );
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const initiated = await call<{ file_id: string; filename: string; content_type: string; upload: { mode: string; url?: string } }>(
      `${this.opts.filesUrl}/v1/files/initiate`,
      {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          filename: input.filename,
          size: bytes.byteLength,
          content_type: input.contentType,
          sha256,
          conversation_id: input.conversationId,
        }),
      },
    );
    if (initiated.upload.mode !== 'single' || !initiated.upload.url)
      throw new ProblemError('payload_too_large', 'the file is too large to forward from Telegram');
    const put = await fetch(initiated.upload.url, { method: 'PUT', body: bytes });
    if (!put.ok) throw new Error(`object store refused the upload (${put.status})`);
    await call(`${this.opts.filesUrl}/v1/files/complete`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ file_id: initiated.file_id }),
    });
    return {
      file_id: initiated.file_id,
      filename: initiated.filename,
      size: bytes.byteLength,
      content_type: initiated.content_type,
      sha256,
    };
  }
}

/** 4xx answers are refusals (told to the Telegram user); anything else is an outage (Telegram redelivers the update). */
async function call<T>(url: string, init: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.ok) return JSON.parse(text) as T;
  if (res.status >= 400 && res.status < 500) {
    const detail = (() => {
      try {
        return (JSON.parse(text) as { detail?: string }).detail;
      } catch {
        return undefined;
      }
    })();
    throw new ProblemError('unprocessable', `the file was refused: ${detail ?? `HTTP ${res.status}`}`);
  }
  throw new Error(`files service answered ${res.status}`);
}

async function readAll(body: ReadableStream<Uint8Array>, max: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > max) throw new ProblemError('payload_too_large', `files from Telegram may be at most ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
