import { Hono, type Context } from 'hono';
import { DIRECT_CONVERSATION_NAMESPACE, directConversationKey, hasScope, nameBasedId, newId, type Conversation, type Principal } from '@hub/domain';
import { principalOf } from '@hub/identity';
import { ProblemError, problemResponses, readJson, readQuery, requireScope, validationProblem, type AuthVariables, type OpenAPIRegistry } from '@hub/platform';
import type { z } from 'zod';
import { mayRead, principalName } from './access';
import type { MessagesDeps } from './messages-deps';
import { ConversationIdParamsSchema, ConversationListQuerySchema, ConversationListSchema, ConversationSchema, CreateConversationRequestSchema, HistoryQuerySchema, HistorySchema } from './schemas';

type Env = { Variables: AuthVariables };

/** /v1/conversations: create (direct or group), list your own, read a conversation's history. */
export function conversationsRoutes(d: MessagesDeps, openapi: OpenAPIRegistry): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', d.auth);

  app.post('/', requireScope('messages:send'), async (c) => {
    const p = principalOf(c);
    const body = await readJson(c, CreateConversationRequestSchema, { limitBytes: d.maxBodyBytes });
    if (p.kind === 'user' && !body.members.includes(p.subject)) throw new ProblemError('forbidden', `a user may only create conversations they are a member of; add "${p.subject}" to members`);
    const exists = await Promise.all(body.members.map((m) => d.userExists(m)));
    const unknown = body.members.map((m, i) => ({ m, i })).filter(({ i }) => !exists[i]);
    if (unknown.length > 0) {
      throw new ProblemError('validation_failed', `members.${unknown[0]!.i}: no user "${unknown[0]!.m}"`, { errors: unknown.map(({ m, i }) => ({ field: `members.${i}`, message: `no user "${m}"` })) });
    }
    const conversation: Conversation = {
      conversation_id: body.type === 'direct' ? nameBasedId(DIRECT_CONVERSATION_NAMESPACE, directConversationKey(body.members[0]!, body.members[1]!)) : newId(),
      type: body.type,
      members: body.type === 'direct' ? [...body.members].sort() : body.members,
      created_at: new Date().toISOString(),
      created_by: principalName(p),
    };
    if (body.name !== undefined) conversation.name = body.name;
    const { conversation: stored, created } = await d.conversations.create(conversation);
    d.lookup.remember(stored);
    if (created) d.logger.info({ event: 'conversations.created', conversation_id: stored.conversation_id, type: stored.type, members: stored.members.length, by: conversation.created_by }, 'conversation created');
    c.header('Location', `/v1/conversations/${stored.conversation_id}`);
    return c.json(stored, created ? 201 : 200);
  });

  app.get('/', async (c) => {
    const p = principalOf(c);
    const q = readQuery(c, ConversationListQuerySchema);
    const username = q.username ?? (p.kind === 'user' ? p.subject : undefined);
    if (!username) throw new ProblemError('validation_failed', 'query: username: required for an API client', { errors: [{ field: 'username', message: 'required for an API client' }] });
    if (!mayList(p, username)) throw new ProblemError('forbidden', p.kind === 'user' ? 'a user may only list their own conversations' : 'listing a user’s conversations needs the "messages:read" scope');
    const page = await d.conversations.listForMember(username, { limit: q.limit, ...(q.cursor ? { after: q.cursor } : {}) });
    return c.json({ conversations: page.conversations, ...(page.next ? { next_cursor: page.next } : {}) });
  });

  app.get('/:conversation_id/messages', async (c) => {
    const p = principalOf(c);
    const { conversation_id } = params(c, ConversationIdParamsSchema);
    const q = readQuery(c, HistoryQuerySchema);
    const conversation = await d.lookup.get(conversation_id);
    if (!conversation || !mayRead(p, conversation)) throw new ProblemError('not_found', `no conversation ${conversation_id}`);
    const page = await d.messages.after(conversation_id, q.since, q.limit + 1);
    const more = page.length > q.limit;
    const shown = page.slice(0, q.limit).map(({ trace_id: _t, submitted_by: _s, ...m }) => m);
    return c.json({ messages: shown, ...(more ? { next_cursor: shown.at(-1)!.sequence_number } : {}) });
  });

  openapi.registerPath({
    method: 'post',
    path: '/v1/conversations',
    tags: ['conversations'],
    summary: 'Create a conversation',
    description: `Scope \`messages:send\`. Members must be registered users; a user must include themselves. A direct conversation exists once per pair: creating it again answers 200 with the existing one. Bodies over ${d.maxBodyBytes} bytes are refused with 413.`,
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/json': { schema: CreateConversationRequestSchema } } } },
    responses: {
      201: { description: 'Created', content: { 'application/json': { schema: ConversationSchema } } },
      200: { description: 'The existing direct conversation of these two users', content: { 'application/json': { schema: ConversationSchema } } },
      ...problemResponses(400, 401, 403, 413, 415, 429, 503),
    },
  });
  openapi.registerPath({
    method: 'get',
    path: '/v1/conversations',
    tags: ['conversations'],
    summary: 'List the conversations of a user',
    security: [{ bearer: [] }],
    request: { query: ConversationListQuerySchema },
    responses: { 200: { description: 'A page of conversations', content: { 'application/json': { schema: ConversationListSchema } } }, ...problemResponses(400, 401, 403, 429) },
  });
  openapi.registerPath({
    method: 'get',
    path: '/v1/conversations/{conversation_id}/messages',
    tags: ['messages'],
    summary: 'Read a conversation’s messages in sequence order',
    description: 'Members (and API clients with `messages:read`) only; anyone else gets 404. Messages appear once the router stored them.',
    security: [{ bearer: [] }],
    request: { params: ConversationIdParamsSchema, query: HistoryQuerySchema },
    responses: { 200: { description: 'Messages after `since`, ascending', content: { 'application/json': { schema: HistorySchema } } }, ...problemResponses(400, 401, 404, 429) },
  });
  return app;
}

function mayList(p: Principal, username: string): boolean {
  if (!hasScope(p, 'messages:read')) return false;
  return p.kind === 'client' || p.subject === username;
}

export function params<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw validationProblem(parsed.error, 'path');
  return parsed.data;
}
