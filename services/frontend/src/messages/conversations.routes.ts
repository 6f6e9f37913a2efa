import type { Context } from 'hono';
import {
  DIRECT_CONVERSATION_NAMESPACE,
  directConversationKey,
  hasScope,
  nameBasedId,
  newId,
  principalRef,
  type Conversation,
  type Principal,
} from '@hub/domain';
import { principalOf, rateLimitHeaders, unavailableOnTransient } from '@hub/identity';
import {
  ProblemError,
  problemResponses,
  readJson,
  readQuery,
  requireScope,
  validationProblem,
  type AuthVariables,
  type OpenAPIRegistry,
  RouteGroup,
} from '@hub/platform';
import type { z } from 'zod';
import { mayRead } from './access';
import type { MessagesDeps } from './messages-deps';
import {
  ConversationAcceptedSchema,
  ConversationIdParamsSchema,
  ConversationListQuerySchema,
  ConversationListSchema,
  ConversationSchema,
  CreateConversationRequestSchema,
  HistoryQuerySchema,
  HistorySchema,
} from './schemas';

type Env = { Variables: AuthVariables };

/** /v1/conversations: create (direct or group), list your own, read a conversation's history. */
export function conversationsRoutes(d: MessagesDeps, openapi: OpenAPIRegistry): RouteGroup<Env> {
  const routes = new RouteGroup<Env>(openapi, '/v1/conversations');
  const app = routes.app;
  app.use('*', d.auth);

  routes.route({
    method: 'post',
    path: '/',
    tags: ['conversations'],
    summary: 'Create a conversation',
    description: `Scope \`messages:send\`. Members must be registered users; a user must include themselves. A direct conversation exists once per pair: creating it again answers 200 with the existing one (and, for the user creating it, accepts it). The creating user has accepted the conversation; the other members have not until they reply or accept it (POST /v1/conversations/{conversation_id}/accept), and until then their presence is not shared with it. A member that does not exist is named in a 400 (a conversation needs real members); a user whose creations named ${d.unknownMembers.limit} unknown usernames within the window gets 429 on every creation until it ends. Bodies over ${d.maxBodyBytes} bytes are refused with 413.`,
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/json': { schema: CreateConversationRequestSchema } } } },
    responses: {
      201: { description: 'Created', content: { 'application/json': { schema: ConversationSchema } } },
      200: {
        description: 'The existing direct conversation of these two users',
        content: { 'application/json': { schema: ConversationSchema } },
      },
      ...problemResponses(400, 401, 403, 413, 415, 429, 503),
    },
    use: [requireScope('messages:send')],
    handler: async (c) => {
      const p = principalOf(c);
      const body = await readJson(c, CreateConversationRequestSchema, { limitBytes: d.maxBodyBytes });
      if (p.kind === 'user' && !body.members.includes(p.subject))
        throw new ProblemError('forbidden', `a user may only create conversations they are a member of; add "${p.subject}" to members`);
      await checkMembersExist(d, p, body.members);
      const conversation: Conversation = {
        conversation_id:
          body.type === 'direct'
            ? nameBasedId(DIRECT_CONVERSATION_NAMESPACE, directConversationKey(body.members[0]!, body.members[1]!))
            : newId(),
        type: body.type,
        members: body.type === 'direct' ? [...body.members].sort() : body.members,
        created_at: new Date().toISOString(),
        created_by: principalRef(p),
      };
      if (body.name !== undefined) conversation.name = body.name;
      const { conversation: stored, created } = await d.conversations.create(conversation);
      d.lookup.remember(stored);
      // Opening a direct conversation someone else started is accepting it; also covers a creation race that left the creator's membership unmarked.
      if (p.kind === 'user') await d.acceptances.accept(stored.conversation_id, p.subject, conversation.created_at);
      if (created)
        d.logger.info(
          {
            event: 'conversations.created',
            conversation_id: stored.conversation_id,
            type: stored.type,
            members: stored.members.length,
            by: conversation.created_by,
          },
          'conversation created',
        );
      c.header('Location', `/v1/conversations/${stored.conversation_id}`);
      return c.json(stored, created ? 201 : 200);
    },
  });

  routes.route({
    method: 'post',
    path: '/{conversation_id}/accept',
    tags: ['conversations'],
    summary: 'Accept a conversation someone else started',
    description:
      'Scope `messages:send`; end users only, for a conversation they are a member of (anything else: 404). Until a member accepts a conversation (by this call, by sending a message in it, or by creating it), nothing of their presence or typing is shared through it. Repeating it is harmless; acceptance is not withdrawn.',
    security: [{ bearer: [] }],
    request: { params: ConversationIdParamsSchema },
    responses: {
      200: { description: 'Accepted', content: { 'application/json': { schema: ConversationAcceptedSchema } } },
      ...problemResponses(400, 401, 403, 404, 429, 503),
    },
    use: [requireScope('messages:send')],
    handler: async (c) => {
      const p = principalOf(c);
      const { conversation_id } = params(c, ConversationIdParamsSchema);
      const conversation = await d.lookup.get(conversation_id);
      // Same 404 for "no such conversation" and "not yours": ids are not probed here either.
      if (!conversation || p.kind !== 'user' || !conversation.members.includes(p.subject))
        throw new ProblemError('not_found', `no conversation ${conversation_id} of yours`);
      const at = new Date().toISOString();
      if (!(await d.acceptances.accept(conversation_id, p.subject, at)))
        throw new ProblemError('not_found', `no conversation ${conversation_id} of yours`);
      d.logger.info({ event: 'conversations.accepted', conversation_id, by: principalRef(p) }, 'conversation accepted');
      return c.json({ conversation_id, username: p.subject, accepted: true });
    },
  });

  routes.route({
    method: 'get',
    path: '/',
    tags: ['conversations'],
    summary: 'List the conversations of a user',
    security: [{ bearer: [] }],
    request: { query: ConversationListQuerySchema },
    responses: {
      200: { description: 'A page of conversations', content: { 'application/json': { schema: ConversationListSchema } } },
      ...problemResponses(400, 401, 403, 429),
    },
    handler: async (c) => {
      const p = principalOf(c);
      const q = readQuery(c, ConversationListQuerySchema);
      const username = q.username ?? (p.kind === 'user' ? p.subject : undefined);
      if (!username)
        throw new ProblemError('validation_failed', 'query: username: required for an API client', {
          errors: [{ field: 'username', message: 'required for an API client' }],
        });
      if (!mayList(p, username))
        throw new ProblemError(
          'forbidden',
          p.kind === 'user'
            ? 'a user may only list their own conversations'
            : 'listing a user’s conversations needs the "messages:read" scope',
        );
      const page = await d.conversations.listForMember(username, { limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) });
      return c.json({ conversations: page.conversations, ...(page.next ? { next_cursor: page.next } : {}) });
    },
  });

  routes.route({
    method: 'get',
    path: '/{conversation_id}/messages',
    tags: ['messages'],
    summary: 'Read a conversation’s messages in sequence order',
    description: 'Members (and API clients with `messages:read`) only; anyone else gets 404. Messages appear once the router stored them.',
    security: [{ bearer: [] }],
    request: { params: ConversationIdParamsSchema, query: HistoryQuerySchema },
    responses: {
      200: { description: 'Messages after `since`, ascending', content: { 'application/json': { schema: HistorySchema } } },
      ...problemResponses(400, 401, 404, 429),
    },
    handler: async (c) => {
      const p = principalOf(c);
      const { conversation_id } = params(c, ConversationIdParamsSchema);
      const q = readQuery(c, HistoryQuerySchema);
      const conversation = await d.lookup.get(conversation_id);
      if (!conversation || !mayRead(p, conversation)) throw new ProblemError('not_found', `no conversation ${conversation_id}`);
      const page = await d.messages.after(conversation_id, q.since, q.limit + 1);
      const more = page.length > q.limit;
      const shown = page.slice(0, q.limit).map(({ trace_id: _t, submitted_by: _s, ...m }) => m);
      return c.json({ messages: shown, ...(more ? { next_cursor: shown.at(-1)!.sequence_number } : {}) });
    },
  });

  return routes;
}

function mayList(p: Principal, username: string): boolean {
  if (!hasScope(p, 'messages:read')) return false;
  return p.kind === 'client' || p.subject === username;
}

/**
 * Every member must exist: a conversation with a name nobody holds would be
 * handed to whoever registers it later. That answer tells the caller
 * whether a username exists, so a user gets only UNKNOWN_MEMBER_LIMIT
 * misses per window; past it every creation is refused with 429, whether
 * its members exist or not, so the refusal itself tells nothing.
 */
async function checkMembersExist(d: MessagesDeps, p: Principal, members: readonly string[]): Promise<void> {
  const key = p.kind === 'user' ? principalRef(p) : undefined;
  const { limiter, limit } = d.unknownMembers;
  if (key) {
    const state = await unavailableOnTransient(() => limiter.peek(key, limit));
    if (!state.allowed) {
      throw new ProblemError(
        'rate_limited',
        'too many conversation creations named users that do not exist; retry after the Retry-After seconds',
        { headers: rateLimitHeaders({ ...state, allowed: false }, true) },
      );
    }
  }
  const exists = await Promise.all(members.map((m) => d.userExists(m)));
  const unknown = members.map((m, i) => ({ m, i })).filter(({ i }) => !exists[i]);
  if (unknown.length === 0) return;
  if (key) await unavailableOnTransient(() => limiter.consume(key, limit));
  throw new ProblemError('validation_failed', `members.${unknown[0]!.i}: no user "${unknown[0]!.m}"`, {
    errors: unknown.map(({ m, i }) => ({ field: `members.${i}`, message: `no user "${m}"` })),
  });
}

export function params<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw validationProblem(parsed.error, 'path');
  return parsed.data;
}
