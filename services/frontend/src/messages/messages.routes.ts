import { z } from 'zod';
import { buildStatusView, hasScope, principalRef } from '@hub/domain';
import { principalOf } from '@hub/identity';
import { ProblemError, problemResponses, readJson, type AuthVariables, type OpenAPIRegistry, RouteGroup } from '@hub/platform';
import { mayRead } from './access';
import { params } from './conversations.routes';
import type { MessagesDeps } from './messages-deps';
import { AcceptedSchema, MessageIdParamsSchema, MessageStatusSchema, MessageTimelineSchema, SendMessageSchema } from './schemas';
import { readTimeline } from './timeline';

type Env = { Variables: AuthVariables };

/** /v1/messages: accept (202 once the event log acknowledged) and status. */
export function messagesRoutes(d: MessagesDeps, openapi: OpenAPIRegistry): RouteGroup<Env> {
  const routes = new RouteGroup<Env>(openapi, '/v1/messages');
  const app = routes.app;
  app.use('*', d.auth);

  /** The message, if this caller may see its status and timeline (members, `messages:read` clients, its sender); 404 otherwise. */
  const readable = async (c: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(c);
    const { message_id } = params(c, MessageIdParamsSchema);
    const notFound = new ProblemError(
      'not_found',
      `no message ${message_id} (an accepted message is listed here once the router stored it, normally within a second)`,
    );
    const message = await d.messages.get(message_id);
    if (!message) throw notFound;
    const submitter = hasScope(p, 'messages:send') && message.submitted_by === principalRef(p);
    if (!submitter) {
      const conversation = await d.lookup.get(message.conversation_id);
      if (!conversation || !mayRead(p, conversation)) throw notFound;
    }
    return message;
  };

  routes.route({
    method: 'post',
    path: '/',
    tags: ['messages'],
    summary: 'Send a message',
    description:
      'Answers 202 only after the message log (Kafka, acks=all) acknowledged the message; 503 with Retry-After when it cannot (or when a client-chosen id could not be checked), in which case nothing was accepted and the same request may be sent again. A client-chosen id (message_id, or an Idempotency-Key) belongs to the caller who used it first: the same caller sending the same request again gets 202 with the same id and the message is stored once; the same caller sending a different message under it gets 422; another caller gets 409 (both problems name the field), never a 202 for a message that would be dropped. This holds after the claim TTL too: the message stored under the id decides. A user sends only as themselves; an API client with `messages:send` as any member. Unknown conversation: 404; sender not a member: 403; a recipient who is not a member: 400 naming `to.N`.',
    security: [{ bearer: [] }],
    request: {
      headers: SendHeadersSchema(),
      body: { content: { 'application/json': { schema: SendMessageSchema } } },
    },
    responses: {
      202: { description: 'Accepted', content: { 'application/json': { schema: AcceptedSchema } } },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
      ...describedProblems({
        409: 'The message_id (or UUID Idempotency-Key) was already used by another sender; choose a new id',
        422: 'You already sent a different message under this message_id or Idempotency-Key; repeat the original request or use a new id',
      }),
    },
    handler: async (c) => {
      const started = performance.now();
      let outcome = 'error';
      try {
        const p = principalOf(c);
        const request = await readJson(c, SendMessageSchema, { limitBytes: d.maxBodyBytes });
        const idempotencyKey = c.req.header('idempotency-key');
        const { message_id, trace_id } = await d.accept.accept({
          origin: { kind: 'principal', principal: p },
          request,
          source: 'api',
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        });
        outcome = 'accepted';
        d.logger.debug({ message_id, trace_id, conversation_id: request.conversation_id }, 'message accepted');
        c.header('Location', `/v1/messages/${message_id}/status`);
        return c.json({ message_id, status: 'accepted' as const }, 202);
      } catch (err) {
        if (err instanceof ProblemError) outcome = String(err.status);
        throw err;
      } finally {
        d.acceptLatency.observe({ outcome }, (performance.now() - started) / 1000);
      }
    },
  });

  routes.route({
    method: 'get',
    path: '/{message_id}/status',
    tags: ['messages'],
    summary: 'A message’s status: roll-up, each recipient × channel, and history',
    description: 'For members of its conversation, API clients with `messages:read`, and the client that sent it; anyone else gets 404.',
    security: [{ bearer: [] }],
    request: { params: MessageIdParamsSchema },
    responses: {
      200: { description: 'Status', content: { 'application/json': { schema: MessageStatusSchema } } },
      ...problemResponses(400, 401, 404, 429),
    },
    handler: async (c) => {
      const message = await readable(c);
      const recorded = await d.statuses.forMessage(message.message_id);
      return c.json(buildStatusView(message, recorded));
    },
  });

  routes.route({
    method: 'get',
    path: '/{message_id}/timeline',
    tags: ['messages'],
    summary: 'Every hop of a message: accept, store, each status per recipient × channel, external attempts, webhook attempts',
    description:
      'Built from the stored records (status changes, the outbound ledger, webhook deliveries), so it works with tracing off; with tracing on each hop names its trace and span (docs/observability.md). Retries appear as `retrying` statuses with their attempt number and as further webhook attempts. Same access as the status: members, API clients with `messages:read`, and the client that sent it; anyone else gets 404.',
    security: [{ bearer: [] }],
    request: { params: MessageIdParamsSchema },
    responses: {
      200: { description: 'Timeline', content: { 'application/json': { schema: MessageTimelineSchema } } },
      ...problemResponses(400, 401, 404, 429),
    },
    handler: async (c) => c.json(await readTimeline(await readable(c), d.timeline)),
  });

  return routes;
}

function SendHeadersSchema() {
  return z.object({
    'idempotency-key': z
      .string()
      .max(255)
      .optional()
      .openapi({ description: 'Makes the send idempotent when the body has no message_id.' }),
  });
}

/** problemResponses with descriptions specific to this route. */
function describedProblems(descriptions: Record<number, string>): NonNullable<ReturnType<typeof problemResponses>> {
  const out = problemResponses(...Object.keys(descriptions).map(Number)) ?? {};
  for (const [status, description] of Object.entries(descriptions)) out[status] = { ...out[status]!, description };
  return out;
}
