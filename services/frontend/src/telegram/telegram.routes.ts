import type { Context } from 'hono';
import { InboundParseError } from '@hub/connectors';
import { isAdmin, UsernameSchema } from '@hub/domain';
import { principalOf } from '@hub/identity';
import {
  problemResponses,
  ProblemError,
  readJson,
  validationProblem,
  RouteGroup,
  type AuthVariables,
  type OpenAPIRegistry,
} from '@hub/platform';
import { z } from 'zod';
import { secretMatches } from './secret-token';
import type { TelegramDeps } from './telegram-deps';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
const LinkParamsSchema = z.strictObject({ username: UsernameSchema });
const LinkResponseSchema = z
  .object({ code: z.string(), deep_link: z.url(), bot_username: z.string(), expires_at: z.string() })
  .openapi('TelegramLink');

/**
 * POST /v1/connectors/telegram/webhook: Telegram's calls, authenticated by
 * the secret token it echoes (compared in constant time) instead of a
 * bearer token. Malformed bodies get problem+json; every update Telegram
 * could legitimately send is acknowledged with 200 once handled, so it is
 * not redelivered; 503 only when the event log is down, so it is.
 */
export function telegramWebhookRoutes(d: TelegramDeps, openapi: OpenAPIRegistry): RouteGroup {
  const routes = new RouteGroup(openapi, '/v1/connectors/telegram');
  routes.route({
    method: 'post',
    path: '/webhook',
    tags: ['telegram'],
    summary: 'Telegram Bot API webhook (called by Telegram)',
    description: `Receives one Telegram Update. Authenticated by the X-Telegram-Bot-Api-Secret-Token header (the secret given to setWebhook), not by a bearer token. "/start <code>" links the chat; text and documents from a linked chat become hub messages in the user's conversation (deduplicated by update_id); unlinked chats get a reply explaining how to link. Bodies over ${d.maxWebhookBytes} bytes are refused with 413.`,
    request: {
      headers: z.object({ 'x-telegram-bot-api-secret-token': z.string() }),
      body: { content: { 'application/json': { schema: z.object({ update_id: z.number().int() }).loose() } } },
    },
    responses: {
      200: {
        description: 'Handled (or acknowledged and ignored)',
        content: { 'application/json': { schema: z.object({ ok: z.literal(true), result: z.string() }).loose() } },
      },
      ...problemResponses(400, 401, 413, 415, 503),
    },
    handler: async (c) => {
      if (!secretMatches(c.req.header(SECRET_HEADER), d.webhookSecret)) {
        d.logger.warn(
          { event: 'telegram.webhook.bad_secret', ip: c.req.header('x-forwarded-for') },
          'telegram webhook call with a missing or wrong secret token',
        );
        throw new ProblemError('unauthorized', 'missing or wrong X-Telegram-Bot-Api-Secret-Token');
      }
      const body = await readJson(c, z.unknown(), { limitBytes: d.maxWebhookBytes });
      let outcome;
      try {
        outcome = await d.bridge.handle(body);
      } catch (err) {
        if (err instanceof InboundParseError) throw new ProblemError('validation_failed', err.message, { errors: err.issues });
        if (err instanceof ProblemError) throw err;
        d.logger.warn(
          { err: { name: (err as Error).name, message: (err as Error).message } },
          'telegram update not handled; Telegram will redeliver it',
        );
        throw new ProblemError('unavailable', 'the update could not be handled now; Telegram will deliver it again', {
          headers: { 'Retry-After': '5' },
        });
      }
      return c.json({ ok: true, ...outcome });
    },
  });

  return routes;
}

/** POST /v1/users/{username}/channels/telegram/link: a one-time, expiring code and its t.me deep link. */
export function telegramLinkRoutes(d: TelegramDeps, openapi: OpenAPIRegistry): RouteGroup<{ Variables: AuthVariables }> {
  const routes = new RouteGroup<{ Variables: AuthVariables }>(openapi, '/v1/users');
  const app = routes.app;
  // Routes under /v1/users may already have passed identity's stack; authenticate (and count the request) once.
  app.use('/:username/channels/telegram/link', async (c, next) => {
    if (c.get('principal')) return next();
    return d.authenticate(c, next);
  });
  routes.route({
    method: 'post',
    path: '/{username}/channels/telegram/link',
    tags: ['channels', 'telegram'],
    summary: 'Create a Telegram link code and deep link',
    description:
      'Returns a one-time code, valid for a limited time (expires_at), and the https://t.me/<bot>?start=<code> link. Opening the link in Telegram and pressing Start links that chat to the account. A user may create links only for themselves; an API client needs the admin scope. No request body.',
    security: [{ bearer: [] }],
    request: { params: LinkParamsSchema },
    responses: {
      201: { description: 'Link created', content: { 'application/json': { schema: LinkResponseSchema } } },
      ...problemResponses(400, 401, 403, 404, 429, 503),
    },
    handler: async (c) => {
      const { username } = authorised(c);
      if (!(await d.userExists(username))) throw new ProblemError('not_found', `no user ${username}`);
      let bot: string;
      try {
        bot = await d.botUsername();
      } catch (err) {
        d.logger.warn({ err: { message: (err as Error).message } }, 'could not learn the bot username from Telegram');
        throw new ProblemError('unavailable', 'Telegram did not answer; retry shortly', { headers: { 'Retry-After': '5' } });
      }
      const { code, expiresAt } = await d.linkCodes.issue(username).catch((err: unknown) => {
        d.logger.warn({ err: { message: (err as Error).message } }, 'could not store a link code');
        throw new ProblemError('unavailable', 'the link store (Redis) did not answer; retry shortly', { headers: { 'Retry-After': '2' } });
      });
      d.logger.info({ event: 'telegram.link_code.issued', username, by: principalOf(c).subject }, 'telegram link code issued');
      return c.json({ code, deep_link: `https://t.me/${bot}?start=${code}`, bot_username: bot, expires_at: expiresAt.toISOString() }, 201);
    },
  });

  return routes;
}

function authorised(c: Context): z.infer<typeof LinkParamsSchema> {
  const parsed = LinkParamsSchema.safeParse({ username: c.req.param('username') });
  if (!parsed.success) throw validationProblem(parsed.error, 'path');
  const p = principalOf(c);
  if (p.kind === 'user' && p.subject !== parsed.data.username)
    throw new ProblemError('forbidden', 'you can only link your own Telegram account');
  if (p.kind === 'client' && !isAdmin(p))
    throw new ProblemError('insufficient_scope', 'linking users needs the "admin" scope', { extra: { required_scope: 'admin' } });
  return parsed.data;
}
