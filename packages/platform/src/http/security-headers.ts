import type { MiddlewareHandler } from 'hono';

/**
 * Headers every response carries, whichever service or route answers. The
 * API serves JSON, not pages, so the default policy lets a browser load
 * nothing from a response and frame none of it; a route that serves a page
 * (frontend's /docs) sets its own Content-Security-Policy, which is kept.
 * `no-referrer`: the hub's URLs carry ids (conversations, files) that other
 * sites have no need to see. HSTS is left to the TLS-terminating ingress.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\b/i;

/**
 * Sets SECURITY_HEADERS where a route did not set its own value, and
 * `Cache-Control: no-store` on JSON answers that do not say otherwise: most
 * carry one caller's data (messages, tokens, profiles), and a shared or
 * browser cache must not keep them. A route that may be cached sets its own
 * Cache-Control.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (!headers.has(name)) headers.set(name, value);
    if (!headers.has('cache-control') && JSON_TYPE.test(headers.get('content-type') ?? '')) headers.set('cache-control', 'no-store');
  };
}
