import type { Context } from 'hono';
import { EtcdKeys, USER_SCOPES, principalRef, type Scope } from '@hub/domain';
import { clientAddress, InvalidGrantError, rateLimitHeaders, principalOf, unavailableOnTransient, type LoginGuard } from '@hub/identity';
import {
  problemResponses,
  ProblemError,
  readJsonOrForm,
  type AuthVariables,
  type Logger,
  type OpenAPIRegistry,
  RouteGroup,
} from '@hub/platform';
import type { IdentityDeps } from './identity-deps';
import {
  PrincipalSchema,
  RefreshRequestSchema,
  RegisterRequestSchema,
  TokenRequestSchema,
  TokenResponseSchema,
  UserSchema,
} from './schemas';

/** POST /v1/auth/register|token|refresh|logout and GET /v1/auth/me. */
export function authRoutes(d: IdentityDeps, openapi: OpenAPIRegistry): RouteGroup<{ Variables: AuthVariables }> {
  const routes = new RouteGroup<{ Variables: AuthVariables }>(openapi, '/v1/auth');
  const bodyOpts = { limitBytes: d.maxBodyBytes };
  const limitNote = `Bodies over ${d.maxBodyBytes} bytes are refused with 413.`;
  const { perIp, maxAttemptsPerIp, guard } = d.loginLimits;

  const limitIp = async (c: Context) => {
    const rate = await unavailableOnTransient(() => perIp.consume(`ip:${clientAddress(c, d.trustProxy)}`, maxAttemptsPerIp), d.logger);
    if (!rate.allowed)
      throw new ProblemError('rate_limited', 'too many authentication requests from this address; retry after the Retry-After seconds', {
        headers: rateLimitHeaders(rate, true),
      });
  };

  routes.route({
    method: 'post',
    path: '/register',
    tags: ['auth'],
    summary: 'Register an end user',
    description: `Usernames: 3–32 characters, lower-case letters, digits, "_", "." and "-", starting with a letter or digit; unique (a taken name gets 409). Passwords: 8–128 characters, no control characters, not equal to the username; stored as an argon2id hash. Limited per client IP. ${limitNote}`,
    request: { body: jsonOrForm(RegisterRequestSchema) },
    responses: {
      201: { description: 'Registered', content: { 'application/json': { schema: UserSchema } } },
      ...problemResponses(400, 409, 413, 415, 429, 503),
    },
    handler: async (c) => {
      await limitIp(c);
      const body = await readJsonOrForm(c, RegisterRequestSchema, bodyOpts);
      const user = await unavailableOnTransient(() => d.users.register(body), d.logger);
      if (user === 'taken')
        throw new ProblemError('conflict', `the username "${body.username}" is taken`, {
          errors: [{ field: 'username', message: 'is taken' }],
        });
      d.directory.apply({ type: 'put', key: EtcdKeys.user(user.username), value: user });
      d.logger.info({ event: 'auth.register', username: user.username }, 'user registered');
      c.header('Location', `/v1/users/${user.username}`);
      return c.json(user, 201);
    },
  });

  routes.route({
    method: 'post',
    path: '/token',
    tags: ['auth'],
    summary: 'Get an access token (OAuth 2.0 password, client_credentials or refresh_token grant)',
    description: `Users: grant_type=password returns a 1 h access token and a 30 day single-use refresh token. API clients: grant_type=client_credentials (credentials in the body or as HTTP Basic) returns an access token with the client's scopes. Failed logins are limited per username / client id and client address (that address gets 429 with Retry-After for that account; others are not affected), attempts on an account that fails from many addresses are slowed down (never refused), and all attempts are limited per client IP (429 with Retry-After). ${limitNote}`,
    request: { body: jsonOrForm(TokenRequestSchema) },
    responses: {
      200: { description: 'Tokens', content: { 'application/json': { schema: TokenResponseSchema } } },
      ...problemResponses(400, 401, 413, 415, 429, 503),
    },
    handler: async (c) => {
      await limitIp(c);
      c.header('Cache-Control', 'no-store');
      const body = await readJsonOrForm(c, TokenRequestSchema, bodyOpts);
      if (body.grant_type === 'refresh_token') return c.json(await refresh(body.refresh_token));
      if (body.grant_type === 'password') {
        const account = principalRef({ kind: 'user', subject: body.username });
        const address = clientAddress(c, d.trustProxy);
        await admit(guard, account, address, d.logger);
        const user = await unavailableOnTransient(() => d.users.authenticate(body.username, body.password), d.logger);
        if (!user) {
          await recordFailure(guard, account, address, d.logger);
          throw new ProblemError('invalid_credentials', 'wrong username or password', { extra: { error: 'invalid_grant' } });
        }
        await unavailableOnTransient(() => guard.succeeded(account, address), d.logger);
        const scopes = narrowScopes(body.scope, USER_SCOPES);
        return c.json(await unavailableOnTransient(() => d.sessions.startUserSession(user, scopes), d.logger));
      }
      const basic = basicCredentials(c.req.header('authorization'));
      const clientId = body.client_id ?? basic?.id;
      const secret = body.client_secret ?? basic?.secret;
      if (body.client_id && basic)
        throw new ProblemError('bad_request', 'send client credentials either in the body or as HTTP Basic credentials, not both');
      if (!clientId || !secret)
        throw new ProblemError(
          'validation_failed',
          'client_credentials needs client_id and client_secret (in the body or as HTTP Basic credentials)',
          { errors: [{ field: clientId ? 'client_secret' : 'client_id', message: 'is required' }] },
        );
      const account = principalRef({ kind: 'client', subject: clientId });
      const address = clientAddress(c, d.trustProxy);
      await admit(guard, account, address, d.logger);
      const client = await unavailableOnTransient(() => d.clients.authenticate(clientId, secret), d.logger);
      if (!client) {
        await recordFailure(guard, account, address, d.logger);
        throw new ProblemError('invalid_credentials', 'wrong client_id or client_secret', { extra: { error: 'invalid_client' } });
      }
      await unavailableOnTransient(() => guard.succeeded(account, address), d.logger);
      return c.json(
        await unavailableOnTransient(() => d.sessions.issueClientToken(client, narrowScopes(body.scope, client.scopes)), d.logger),
      );
    },
  });

  routes.route({
    method: 'post',
    path: '/refresh',
    tags: ['auth'],
    summary: 'Rotate a refresh token',
    description: `Returns a new access token and a new refresh token; the presented one is used up. Presenting a refresh token a second time revokes the whole session (every token from that login). ${limitNote}`,
    request: { body: jsonOrForm(RefreshRequestSchema) },
    responses: {
      200: { description: 'New tokens', content: { 'application/json': { schema: TokenResponseSchema } } },
      ...problemResponses(400, 401, 413, 415, 429, 503),
    },
    handler: async (c) => {
      await limitIp(c);
      c.header('Cache-Control', 'no-store');
      const body = await readJsonOrForm(c, RefreshRequestSchema, bodyOpts);
      return c.json(await refresh(body.refresh_token));
    },
  });

  routes.route({
    method: 'post',
    path: '/logout',
    tags: ['auth'],
    summary: "End the caller's session",
    description:
      'Revokes the session of the access token: its access tokens and refresh tokens stop working on every instance, and WebSocket connections of the session are closed.',
    security: [{ bearer: [] }],
    responses: { 204: { description: 'Session ended' }, ...problemResponses(400, 401, 429, 503) },
    use: [d.authStack.middleware],
    handler: async (c) => {
      const p = principalOf(c);
      if (p.kind !== 'user')
        throw new ProblemError('bad_request', 'API client tokens have no session to end; they expire after expires_in seconds');
      await unavailableOnTransient(() => d.sessions.endSession(p.sessionId, p.subject), d.logger);
      return c.body(null, 204);
    },
  });

  routes.route({
    method: 'get',
    path: '/me',
    tags: ['auth'],
    summary: 'Who the access token belongs to',
    security: [{ bearer: [] }],
    responses: {
      200: { description: 'The authenticated principal', content: { 'application/json': { schema: PrincipalSchema } } },
      ...problemResponses(401, 429, 503),
    },
    use: [d.authStack.middleware],
    handler: (c) => {
      const p = principalOf(c);
      return c.json(
        p.kind === 'user'
          ? { kind: p.kind, subject: p.subject, scopes: p.scopes, session_id: p.sessionId }
          : { kind: p.kind, subject: p.subject, scopes: p.scopes, ...(p.senderName ? { sender_name: p.senderName } : {}) },
      );
    },
  });

  const refresh = async (token: string) => {
    try {
      return await d.sessions.refresh(token);
    } catch (err) {
      if (err instanceof InvalidGrantError)
        throw new ProblemError('invalid_credentials', err.message, { extra: { error: 'invalid_grant' } });
      return unavailableOnTransient(() => Promise.reject(err), d.logger);
    }
  };

  return routes;
}

/** Refuses an address locked out of the account (429); holds an attempt on an account under broad guessing (see LoginGuard). */
async function admit(guard: LoginGuard, account: string, address: string, logger: Logger): Promise<void> {
  const admission = await unavailableOnTransient(() => guard.admit(account, address), logger);
  if (!admission.admitted) {
    throw new ProblemError(
      'rate_limited',
      'too many failed logins for this account from this address; retry after the Retry-After seconds',
      { headers: rateLimitHeaders(admission.decision, true) },
    );
  }
}

async function recordFailure(guard: LoginGuard, account: string, address: string, logger: Logger): Promise<void> {
  const { slowingDown } = await unavailableOnTransient(() => guard.failed(account, address), logger);
  if (slowingDown)
    logger.warn(
      { event: 'auth.account_slowed', account },
      'failed logins on this account from many addresses: attempts on it are slowed down for the rest of the window',
    );
}

/** The requested scopes, which must all be granted; all granted ones when none are requested. */
function narrowScopes(requested: Scope[] | undefined, granted: readonly Scope[]): Scope[] {
  if (!requested || requested.length === 0) return [...granted];
  const denied = requested.filter((s) => !granted.includes(s));
  if (denied.length)
    throw new ProblemError('validation_failed', `scope: not granted to you: ${denied.join(', ')}`, {
      errors: [{ field: 'scope', message: `not granted: ${denied.join(', ')}` }],
      extra: { error: 'invalid_scope' },
    });
  return [...new Set(requested)];
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i <= 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  try {
    return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return undefined;
  }
}

/** The token endpoints take OAuth's form encoding as well as JSON. */
function jsonOrForm<S>(schema: S): never {
  return { content: { 'application/json': { schema }, 'application/x-www-form-urlencoded': { schema } } } as never;
}
