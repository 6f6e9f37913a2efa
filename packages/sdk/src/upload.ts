import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { HubClient, Schemas } from './client.js';
import { unwrap } from './client.js';
import { HubNetworkError, problemFromResponse } from './errors.js';
import { abortReason, nextRetryDelay, parseRetryAfter, sleep, type RetryOptions } from './retry.js';

export interface UploadProgress {
  /** `hashing` (reading the file for its SHA-256), `uploading` (parts going to storage), `completing`, `done`. */
  phase: 'hashing' | 'uploading' | 'completing' | 'done';
  /** Bytes hashed, or bytes stored (counted per finished part: fetch reports no upload progress). */
  loaded: number;
  total: number;
}

/** Something with a size that can be hashed as a stream and cut into byte ranges (a Blob, a file on disk). */
export interface UploadSource {
  size: number;
  /** The bytes as a stream of chunks, read once for the SHA-256. */
  stream(): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
  /** A byte range as a fetch body. */
  slice(start: number, end: number): Blob | Uint8Array | Promise<Blob | Uint8Array>;
}

export interface UploadOptions {
  filename: string;
  contentType?: string;
  /** Share it in a conversation (its members may download it; file messages there may carry it). */
  conversationId?: string;
  /** The SHA-256 (hex) when already known; otherwise it is computed, streaming. */
  sha256?: string;
  onProgress?: (p: UploadProgress) => void;
  /** Cancels hashing and uploads; the hub removes the unfinished upload later. */
  signal?: AbortSignal;
  /** Parts uploaded at once (default 4). */
  concurrency?: number;
  /** Retries of a part PUT on network errors and 5xx/429 (default 4 attempts). */
  retry?: RetryOptions;
}

/** A Blob (browser File, or Node's Blob) as an upload source, read in chunks. */
export function blobSource(blob: Blob): UploadSource {
  return { size: blob.size, stream: () => blob.stream() as ReadableStream<Uint8Array>, slice: (s, e) => blob.slice(s, e) };
}

/** SHA-256 (hex) of a stream of chunks, computed incrementally: memory stays flat whatever the size. */
export async function sha256Hex(
  chunks: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  opts: { signal?: AbortSignal; onChunk?: (bytes: number) => void } = {},
): Promise<string> {
  const h = sha256.create();
  for await (const chunk of iterate(chunks)) {
    if (opts.signal?.aborted) throw abortReason(opts.signal);
    h.update(chunk);
    opts.onChunk?.(chunk.byteLength);
  }
  return bytesToHex(h.digest());
}

async function* iterate(s: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in s) {
    yield* s as AsyncIterable<Uint8Array>;
    return;
  }
  // Browsers without ReadableStream async iteration (Safari).
  const reader = (s as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Uploads a file: initiate → one PUT, or parts PUT in parallel → complete.
 * The SHA-256 is computed first (streaming) unless given; the hub verifies
 * it on complete. Resolves with the completed file; a mismatch or refusal
 * throws HubProblemError.
 */
export async function upload(hub: HubClient, source: UploadSource, opts: UploadOptions): Promise<Schemas['File']> {
  const total = source.size;
  const progress = (phase: UploadProgress['phase'], loaded: number) => opts.onProgress?.({ phase, loaded, total });
  const signal = opts.signal;

  let hashed = 0;
  const digest =
    opts.sha256?.toLowerCase() ??
    (await sha256Hex(source.stream(), {
      ...(signal ? { signal } : {}),
      onChunk: (n) => progress('hashing', (hashed += n)),
    }));

  const at = hub.options.filesUrl ? { baseUrl: hub.options.filesUrl.replace(/\/+$/, '') } : {};
  const init = unwrap(
    await hub.api.POST('/v1/files/initiate', {
      ...at,
      body: {
        filename: opts.filename,
        size: total,
        content_type: opts.contentType ?? 'application/octet-stream',
        sha256: digest,
        ...(opts.conversationId ? { conversation_id: opts.conversationId } : {}),
      },
      ...(signal ? { signal } : {}),
    }),
  );

  let stored = 0;
  progress('uploading', 0);
  let parts: { part_number: number; etag: string }[] | undefined;
  if (init.upload.mode === 'single') {
    await putWithRetry(hub, init.upload.url, await source.slice(0, total), opts);
    progress('uploading', (stored = total));
  } else {
    const { parts: plan, part_size: partSize } = init.upload;
    const etags = new Array<{ part_number: number; etag: string }>(plan.length);
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const i = next++;
        const part = plan[i]!;
        const start = (part.part_number - 1) * partSize;
        const etag = await putWithRetry(hub, part.url, await source.slice(start, start + part.size), opts);
        etags[i] = { part_number: part.part_number, etag };
        progress('uploading', (stored += part.size));
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, plan.length) }, worker));
    parts = etags;
  }

  progress('completing', stored);
  const done = unwrap(
    await hub.api.POST('/v1/files/complete', {
      ...at,
      body: { file_id: init.file_id, ...(parts ? { parts } : {}) },
      ...(signal ? { signal } : {}),
    }),
  );
  progress('done', total);
  return done;
}

/** PUT to a presigned URL (no Authorization: the URL is signed); returns the ETag. */
async function putWithRetry(hub: HubClient, url: string, body: Blob | Uint8Array, opts: UploadOptions): Promise<string> {
  const fetchFn = hub.options.fetch ?? ((r: Request) => globalThis.fetch(r));
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetchFn(
        new Request(url, { method: 'PUT', body: body as RequestInit['body'], ...(opts.signal ? { signal: opts.signal } : {}) }),
      );
    } catch (err) {
      if (opts.signal?.aborted) throw abortReason(opts.signal);
      const delay = nextRetryDelay(attempt, undefined, opts.retry);
      if (delay === undefined) throw new HubNetworkError(`upload to storage failed: ${(err as Error).message}`, { cause: err });
      await sleep(delay, opts.signal);
      continue;
    }
    if (res.ok) {
      await res.body?.cancel();
      // Browsers see ETag only when the storage server's CORS rules expose it.
      const etag = res.headers.get('etag');
      if (!etag) throw new HubNetworkError('the storage server answered without an ETag header (CORS: expose ETag)');
      return etag;
    }
    const retryable = res.status >= 500 || res.status === 429;
    const delay = retryable ? nextRetryDelay(attempt, parseRetryAfter(res.headers.get('retry-after')), opts.retry) : undefined;
    if (delay === undefined) throw await problemFromResponse(res);
    await res.body?.cancel();
    await sleep(delay, opts.signal);
  }
}
