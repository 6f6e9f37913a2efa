import { pinnedPost, WebhookRequestError } from './http/pinned-post';
import { signPayload } from './signing';
import type { TargetVetter } from './ssrf/url-policy';

export interface SendRequest {
  url: string;
  /** The `webhook-id`: the same for every attempt of one event. */
  eventId: string;
  /** The exact JSON text that is signed and sent. */
  body: string;
  secrets: readonly string[];
  signal?: AbortSignal;
}

/** What one attempt came to. `retryable: false` means another attempt will not change the answer (refused by policy). */
export type AttemptOutcome =
  | { kind: 'delivered'; statusCode: number; responseBody: string; latencyMs: number }
  | {
      kind: 'failed';
      retryable: boolean;
      error: string;
      statusCode?: number;
      responseBody?: string;
      latencyMs: number;
      retryAfterMs?: number;
    }
  | { kind: 'aborted'; latencyMs: number };

export interface SenderSettings {
  timeoutMs: number;
  maxResponseBytes: number;
  userAgent: string;
}

/**
 * One signed webhook call: vets the URL and the addresses of its host at
 * the moment of sending, signs a fresh timestamp, POSTs to the vetted
 * address, and classifies the result. Only a 2xx counts as delivered.
 */
export class WebhookSender {
  constructor(
    private readonly vetter: TargetVetter,
    private readonly s: SenderSettings,
  ) {}

  async send(req: SendRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const vetted = await this.vetter.vet(req.url);
    if (!vetted.ok) return { kind: 'failed', retryable: vetted.kind === 'unresolved', error: vetted.reason, latencyMs: elapsed() };
    const headers = {
      ...signPayload(req.eventId, new Date(), req.body, req.secrets),
      'content-type': 'application/json',
      'user-agent': this.s.userAgent,
    };
    try {
      const res = await pinnedPost({
        target: vetted.target,
        headers,
        body: req.body,
        timeoutMs: this.s.timeoutMs,
        maxResponseBytes: this.s.maxResponseBytes,
        signal: req.signal,
      });
      const latencyMs = elapsed();
      if (res.status >= 200 && res.status < 300) return { kind: 'delivered', statusCode: res.status, responseBody: res.body, latencyMs };
      const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
      const error =
        res.status >= 300 && res.status < 400
          ? `redirect (${res.status}${location ? ` to ${location.slice(0, 300)}` : ''}) not followed; register the final URL`
          : `receiver answered ${res.status}`;
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      return {
        kind: 'failed',
        retryable: true,
        error,
        statusCode: res.status,
        responseBody: res.body,
        latencyMs,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    } catch (err) {
      if (err instanceof WebhookRequestError && err.kind === 'aborted') return { kind: 'aborted', latencyMs: elapsed() };
      return { kind: 'failed', retryable: true, error: (err as Error).message, latencyMs: elapsed() };
    }
  }
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
