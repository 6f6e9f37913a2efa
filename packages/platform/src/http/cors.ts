import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ProblemError } from './problem';

/**
 * Cross-origin access for browsers, for deployments without the gateway
 * (deploy/gateway answers the same way at the edge). The API authenticates
 * with bearer tokens, never cookies, so credentials are not allowed: a page
 * from an allowed origin sends its token itself, and no other page can ride
 * on a browser's ambient credentials.
 */
export interface CorsPolicy {
  /** Exact origins (`https://app.example.com`); empty: no CORS headers at all. */
  allowedOrigins: readonly string[];
}

export const CORS_ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
/** The request headers the hub reads, plus trace context. */
export const CORS_ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, X-Request-Id, traceparent, tracestate';
/** What a page may read from an answer besides the CORS-safelisted headers. */
export const CORS_EXPOSED_HEADERS = 'Retry-After, Location, X-Request-Id';
/** How long a browser may reuse a preflight answer (browsers cap it: Chromium at 2 h, Firefox at 24 h). */
export const CORS_MAX_AGE_S = 600;

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/;

/** `CORS_ALLOWED_ORIGINS`: comma-separated exact origins; empty (the default) turns CORS off. */
export const corsConfigSchema = z.object({
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .superRefine((list, ctx) => {
      for (const o of list) {
        if (!ORIGIN.test(o))
          ctx.addIssue({
            code: 'custom',
            message: `"${o}" is not an origin: scheme://host[:port], lower case, no path or trailing slash ("*" is not accepted: list each origin)`,
          });
      }
    }),
});

export type CorsDecision =
  | { kind: 'none' }
  | { kind: 'preflight'; headers: Record<string, string> }
  | { kind: 'preflight-refused'; detail: string }
  | { kind: 'actual'; headers: Record<string, string> };

/**
 * What a request gets under a policy. Pure, so every branch is tested
 * without a server. `Vary: Origin` goes on every answer once CORS is on,
 * so a cache never hands one origin's answer to another.
 */
export function decideCors(policy: CorsPolicy, req: { method: string; origin?: string; requestMethod?: string }): CorsDecision {
  if (policy.allowedOrigins.length === 0) return { kind: 'none' };
  const allowed = req.origin !== undefined && policy.allowedOrigins.includes(req.origin);
  const preflight = req.method === 'OPTIONS' && req.origin !== undefined && req.requestMethod !== undefined;
  if (preflight) {
    if (!allowed) return { kind: 'preflight-refused', detail: `origin ${JSON.stringify(req.origin)} is not in CORS_ALLOWED_ORIGINS` };
    return {
      kind: 'preflight',
      headers: {
        'access-control-allow-origin': req.origin!,
        'access-control-allow-methods': CORS_ALLOWED_METHODS,
        'access-control-allow-headers': CORS_ALLOWED_HEADERS,
        'access-control-max-age': String(CORS_MAX_AGE_S),
        vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    };
  }
  if (!allowed) return { kind: 'actual', headers: { vary: 'Origin' } };
  return {
    kind: 'actual',
    headers: { 'access-control-allow-origin': req.origin!, 'access-control-expose-headers': CORS_EXPOSED_HEADERS, vary: 'Origin' },
  };
}

/**
 * Answers preflights (204, or 403 problem+json for an origin not listed)
 * and adds the CORS headers to every other answer, errors included, so a
 * page can read a 429's Retry-After or a problem's detail.
 */
export function cors(policy: CorsPolicy): MiddlewareHandler {
  return async (c, next) => {
    const decision = decideCors(policy, {
      method: c.req.method,
      origin: c.req.header('origin'),
      requestMethod: c.req.header('access-control-request-method'),
    });
    if (decision.kind === 'none') return next();
    if (decision.kind === 'preflight') return c.body(null, 204, decision.headers);
    if (decision.kind === 'preflight-refused') throw new ProblemError('forbidden', decision.detail, { headers: { vary: 'Origin' } });
    await next();
    for (const [name, value] of Object.entries(decision.headers)) {
      if (name === 'vary') appendVary(c.res.headers, value);
      else c.res.headers.set(name, value);
    }
  };
}

function appendVary(headers: Headers, value: string): void {
  const present = headers.get('vary');
  if (!present) return headers.set('vary', value);
  if (present.split(',').some((v) => v.trim().toLowerCase() === value.toLowerCase())) return;
  headers.set('vary', `${present}, ${value}`);
}
