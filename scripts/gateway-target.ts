/**
 * Request-target rules of the local gateway (scripts/gateway.ts), kept apart
 * so they can be tested without sockets. Only the origin form of RFC 9112
 * §3.2.1 is accepted: a path starting with one `/`, optionally a query. The
 * absolute form (`http://host/...`), a path starting `//` (which URL parsers
 * read as an authority) and the authority and asterisk forms are refused, so
 * nothing in the request can name the host the gateway connects to.
 */

export type TargetResult = { ok: true; path: string; search: string } | { ok: false; reason: string };

/** Characters a request target may carry (RFC 3986 pchar, `/`, `?`, `%`); no spaces, `#`, `\` or controls. */
const TARGET_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

/**
 * Parses and normalises an origin-form target: percent-encoded unreserved
 * characters are decoded (so `%2e%2e` is `..`), `.` and `..` segments are
 * resolved and empty segments dropped, before the path is routed. An encoded
 * `/`, `\` or NUL is refused rather than guessed at: services never use them,
 * and a service decoding them later could see a different path than the one
 * routed. A `..` above the root is refused, not clamped.
 */
export function parseOriginForm(target: string): TargetResult {
  if (!target.startsWith('/'))
    return {
      ok: false,
      reason: 'the request target must be a path starting with "/" (origin form); absolute, authority and asterisk forms are not accepted',
    };
  if (target.startsWith('//')) return { ok: false, reason: 'the request target must not start with "//"' };
  if (!TARGET_CHARS.test(target)) return { ok: false, reason: 'the request target contains a character that must be percent-encoded' };
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  const search = q < 0 ? '' : target.slice(q);
  if (/%(?![0-9A-Fa-f]{2})/.test(rawPath)) return { ok: false, reason: 'the request path has a malformed percent-encoding' };
  if (/%(2f|5c|00)/i.test(rawPath)) return { ok: false, reason: 'the request path must not contain an encoded "/", "\\" or NUL' };
  const decoded = rawPath.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch : m.toUpperCase();
  });
  const segments: string[] = [];
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (segments.length === 0) return { ok: false, reason: 'the request path climbs above the root ("..")' };
      segments.pop();
      continue;
    }
    segments.push(seg);
  }
  // As RFC 3986 §5.2.4 does: `/a/b/`, `/a/b/.` and `/a/b/c/..` keep the trailing slash.
  const trailing = segments.length > 0 && /\/\.{0,2}$/.test(decoded) ? '/' : '';
  return { ok: true, path: `/${segments.join('/')}${trailing}`, search };
}

export type Route = 'frontend' | 'presence' | 'files' | 'health' | 'denied';

/**
 * The upstream for a normalised path, from a fixed table. `/metrics` is
 * denied: operators scrape each service's own port, the public base URL
 * never exposes them. `/health/live` and `/health/ready` are answered by the
 * gateway itself, with an overall status only.
 */
export function routeFor(path: string): Route {
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  if (under('/metrics')) return 'denied';
  if (path === '/health/live' || path === '/health/ready') return 'health';
  if (under('/health')) return 'denied';
  if (under('/v1/files')) return 'files';
  if (path === '/v1/ws' || under('/v1/presence')) return 'presence';
  // The API reference (the hub's merged documents and their pages) is the frontend's, whatever else `/` serves.
  if (path === '/openapi.json' || path === '/asyncapi.json' || under('/docs')) return 'frontend';
  return 'frontend';
}
