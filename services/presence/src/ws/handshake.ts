import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '@hub/domain';
import { bearer, problemBody, ProblemError } from '@hub/platform';

/** The hub's token check for a raw token (identity's auth stack: signature, expiry, revocation, rate limit); rejects with a ProblemError. */
export type TokenAuthenticator = (token: string | undefined) => Promise<{ principal: Principal }>;

export interface Authenticated {
  principal: Extract<Principal, { kind: 'user' }>;
  /** When the token expires, ms since epoch. */
  expiresAt: number;
}

/**
 * Authenticates a WebSocket upgrade request before the upgrade: the access
 * token comes from `Authorization: Bearer …`, or from the `access_token`
 * query parameter for browsers, whose WebSocket API cannot set headers.
 * Only end users connect; API clients use REST and webhooks.
 */
export async function authenticateUpgrade(req: IncomingMessage, authenticate: TokenAuthenticator): Promise<Authenticated> {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const fromHeader = bearer(req.headers.authorization);
  const fromQuery = url.searchParams.get('access_token') ?? undefined;
  const token = fromHeader ?? fromQuery;
  if (!token) {
    throw new ProblemError(
      'unauthorized',
      'send an access token as "Authorization: Bearer <token>" or as the access_token query parameter',
      { headers: { 'WWW-Authenticate': 'Bearer' } },
    );
  }
  const { principal } = await authenticate(token);
  if (principal.kind !== 'user')
    throw new ProblemError('forbidden', 'only end users connect over WebSocket; API clients use the REST API and webhooks');
  return { principal, expiresAt: tokenExpiry(token) };
}

/** `exp` of a token that was already verified (so its payload is known to be well-formed). */
function tokenExpiry(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
  return typeof payload.exp === 'number' ? payload.exp * 1000 : Number.POSITIVE_INFINITY;
}

/** Answers an upgrade request with a plain HTTP problem+json response and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: ProblemError, path: string): void {
  const body = JSON.stringify(problemBody(err, undefined, path));
  const headers = [
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  for (const [k, v] of Object.entries(err.options.headers ?? {})) headers.push(`${k}: ${v}`);
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}
