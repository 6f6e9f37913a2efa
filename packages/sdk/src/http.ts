import { HubNetworkError } from './errors.js';
import { nextRetryDelay, parseRetryAfter, sleep, type RetryOptions } from './retry.js';
import type { FetchLike, TokenManager } from './tokens.js';

export interface HubFetchOptions {
  fetch?: FetchLike;
  /** Adds `Authorization: Bearer …` (renewed ahead of expiry, and once after a 401). */
  tokens?: TokenManager;
  retry?: RetryOptions;
  /**
   * Which requests get an `Idempotency-Key` when they carry none: by default
   * every `POST /v1/messages` (a send). The key is made once per call, so
   * every retry of it repeats the same key and the hub stores one message.
   */
  needsIdempotencyKey?: (method: string, path: string) => boolean;
  /** Source of idempotency keys (default crypto.randomUUID). */
  newKey?: () => string;
  /** Called before each retry (logging, metrics). */
  onRetry?: (info: { attempt: number; delayMs: number; status?: number; error?: unknown; request: Request }) => void;
  random?: () => number;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export function isSend(method: string, path: string): boolean {
  return method === 'POST' && /\/v1\/messages\/?$/.test(path);
}

/**
 * A fetch for the hub's REST API: auth, an idempotency key on sends, and
 * bounded retries with backoff and jitter on 429 and 503 (honouring
 * Retry-After) and, for requests that are safe to repeat, on network
 * errors. A non-2xx answer is returned, not thrown: the caller decides.
 */
export function createHubFetch(opts: HubFetchOptions = {}): FetchLike {
  const base = opts.fetch ?? ((r: Request) => globalThis.fetch(r));
  const needsKey = opts.needsIdempotencyKey ?? isSend;
  const newKey = opts.newKey ?? (() => globalThis.crypto.randomUUID());

  return async (original: Request): Promise<Response> => {
    const path = new URL(original.url).pathname;
    let request = original;
    if (!request.headers.has('idempotency-key') && needsKey(request.method, path)) {
      request = new Request(request, { headers: withHeader(request.headers, 'idempotency-key', newKey()) });
    }
    const repeatable = IDEMPOTENT_METHODS.has(request.method) || request.headers.has('idempotency-key');
    const authorize = opts.tokens !== undefined && !request.headers.has('authorization');
    let token = authorize ? await opts.tokens!.getAccessToken() : undefined;
    let renewedAfter401 = false;

    for (let attempt = 1; ; attempt++) {
      const attemptRequest = token
        ? new Request(request.clone(), { headers: withHeader(request.headers, 'authorization', `Bearer ${token}`) })
        : request.clone();
      let response: Response;
      try {
        response = await base(attemptRequest);
      } catch (error) {
        if (request.signal.aborted) throw error;
        const delay = repeatable ? nextRetryDelay(attempt, undefined, opts.retry, opts.random) : undefined;
        if (delay === undefined)
          throw new HubNetworkError(`${request.method} ${path}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        opts.onRetry?.({ attempt, delayMs: delay, error, request });
        await sleep(delay, request.signal);
        continue;
      }

      if (response.status === 401 && token && !renewedAfter401) {
        // The token may have been revoked or expired early (clock skew): renew once, then let a second 401 through.
        renewedAfter401 = true;
        const renewed = await opts.tokens!.renewAfterRejection(token).catch(() => undefined);
        if (renewed && renewed !== token) {
          await response.body?.cancel();
          token = renewed;
          attempt--;
          continue;
        }
        return response;
      }

      if (response.status === 429 || response.status === 503) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        const delay = nextRetryDelay(attempt, retryAfterMs, opts.retry, opts.random);
        if (delay === undefined) return response;
        await response.body?.cancel();
        opts.onRetry?.({ attempt, delayMs: delay, status: response.status, request });
        await sleep(delay, request.signal);
        continue;
      }
      return response;
    }
  };
}

function withHeader(headers: Headers, name: string, value: string): Headers {
  const h = new Headers(headers);
  h.set(name, value);
  return h;
}
