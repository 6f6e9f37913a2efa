import type { Context } from 'hono';
import { replayDeadLetter, type DeadLetter } from '@hub/outbound';
import { isAdmin, Topics, UuidSchema, principalRef } from '@hub/domain';
import { decodeCursor, type RejectedRecord } from '@hub/messages';
import { principalOf } from '@hub/identity';
import {
  problemResponses,
  ProblemError,
  PublishUnavailableError,
  readQuery,
  validationProblem,
  type AuthVariables,
  type OpenAPIRegistry,
  RouteGroup,
} from '@hub/platform';
import { z } from 'zod';
import type { DlqDeps } from './dlq-deps';

const ListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: UuidSchema.optional(),
  channel: z.enum(['telegram', 'whatsapp', 'instagram', 'messenger']).optional(),
  include_replayed: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
});
const IdParamsSchema = z.strictObject({ id: UuidSchema });
const security = [{ bearer: [] }];
const RecordsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  after: z
    .string()
    .max(512)
    .refine((s) => decodeCursor(s) !== undefined, 'not a cursor from a previous page (use its next_cursor as is)')
    .optional(),
  topic: z.enum([Topics.messages, Topics.status]).optional(),
});

const RejectedRecordViewSchema = z
  .object({
    id: z.string().openapi({ description: 'topic:partition:offset of the refused record' }),
    topic: z.string(),
    partition: z.number().int(),
    offset: z.string(),
    key: z.string().nullable(),
    reason: z.string(),
    raw: z.string().openapi({ description: 'The record value as text, cut at 4 KiB' }),
    message_id: z.string().optional(),
    failed_at: z.string(),
  })
  .openapi('RejectedRecord');

const DeadLetterViewSchema = z
  .object({
    id: z.string(),
    delivery_id: z.string(),
    message_id: z.string(),
    conversation_id: z.string(),
    sequence_number: z.number().int(),
    from: z.string(),
    recipient: z.string(),
    channel: z.string(),
    payload: z.object({ type: z.enum(['text', 'file']) }).loose(),
    reason: z.string(),
    last_error: z.string(),
    attempts: z.number().int(),
    failed_at: z.string(),
    replayed_at: z.string().optional(),
    replayed_by: z.string().optional(),
  })
  .openapi('DeadLetter');

/**
 * GET /v1/dlq and POST /v1/dlq/{id}/replay: external deliveries that ended
 * in the dead-letter queue, for operators (API clients with the admin
 * scope). Replay re-drives a delivery from its first attempt with the
 * recipient's current mapping, at most once per dead letter.
 */
export function dlqRoutes(d: DlqDeps, openapi: OpenAPIRegistry): RouteGroup<{ Variables: AuthVariables }> {
  const routes = new RouteGroup<{ Variables: AuthVariables }>(openapi, '/v1/dlq');
  const app = routes.app;
  app.use('*', d.authenticate);
  app.use('*', async (c, next) => {
    if (!isAdmin(principalOf(c)))
      throw new ProblemError('insufficient_scope', 'the dead-letter queue needs an API client with the "admin" scope', {
        extra: { required_scope: 'admin' },
      });
    await next();
  });

  routes.route({
    method: 'get',
    path: '/',
    tags: ['dead letters'],
    summary: 'List dead-lettered deliveries (newest first)',
    description:
      "External deliveries that failed for good: a permanent provider error (e.g. chat_not_found), no mapping for the recipient (no_mapping), all attempts used (attempts_exhausted), or deferred too long. Needs an API client with the admin scope. Page with `before` = the previous page's `next_cursor`.",
    security,
    request: { query: ListQuerySchema },
    responses: {
      200: {
        description: 'Dead letters',
        content: {
          'application/json': { schema: z.object({ dead_letters: z.array(DeadLetterViewSchema), next_cursor: z.string().optional() }) },
        },
      },
      ...problemResponses(400, 401, 403, 429, 503),
    },
    handler: async (c) => {
      const q = readQuery(c, ListQuerySchema);
      const items = await unavailableOnStoreError(d, () =>
        d.deadLetters.list({
          limit: q.limit,
          includeReplayed: q.include_replayed,
          ...(q.before ? { before: q.before } : {}),
          ...(q.channel ? { channel: q.channel } : {}),
        }),
      );
      const last = items.at(-1);
      return c.json({ dead_letters: items.map(present), ...(items.length === q.limit && last ? { next_cursor: last.id } : {}) });
    },
  });

  routes.route({
    method: 'get',
    path: '/records',
    tags: ['dead letters'],
    summary: 'List records the router refused (newest first)',
    description:
      "Records of hub.messages.v1 and hub.status.v1 that could not be processed and went to hub.dlq.v1: not JSON, not a valid event, or a message accepted (202) for a conversation that no longer exists or from a sender who is no longer a member. Kept for operators; they cannot be replayed (send the message again). Needs an API client with the admin scope. Page with `after` = the previous page's `next_cursor`.",
    security,
    request: { query: RecordsQuerySchema },
    responses: {
      200: {
        description: 'Refused records',
        content: {
          'application/json': { schema: z.object({ records: z.array(RejectedRecordViewSchema), next_cursor: z.string().optional() }) },
        },
      },
      ...problemResponses(400, 401, 403, 429, 503),
    },
    handler: async (c) => {
      const q = readQuery(c, RecordsQuerySchema);
      const page = await unavailableOnStoreError(d, () =>
        d.rejected.list({ limit: q.limit, ...(q.after ? { after: q.after } : {}), ...(q.topic ? { topic: q.topic } : {}) }),
      );
      return c.json({ records: page.records.map(presentRecord), ...(page.next ? { next_cursor: page.next } : {}) });
    },
  });

  routes.route({
    method: 'post',
    path: '/{id}/replay',
    tags: ['dead letters'],
    summary: 'Replay a dead letter',
    description:
      'Delivers the message again from attempt 1, using the recipient\'s current channel mapping. Idempotent: the first call starts the replay (`replay: "started"`), later calls change nothing and answer `replay: "already_requested"`. Needs an API client with the admin scope.',
    security,
    request: { params: IdParamsSchema },
    responses: {
      202: {
        description: 'Replay started or already requested',
        content: {
          'application/json': { schema: z.object({ replay: z.enum(['started', 'already_requested']), dead_letter: DeadLetterViewSchema }) },
        },
      },
      ...problemResponses(400, 401, 403, 404, 429, 503),
    },
    handler: async (c) => {
      const { id } = params(c);
      const by = principalRef(principalOf(c));
      const result = await unavailableOnStoreError(d, () => replayDeadLetter(id, by, d));
      if (!result) throw new ProblemError('not_found', `no dead letter ${id}`);
      if (result.outcome === 'replayed')
        d.logger.info(
          {
            event: 'dlq.replayed',
            dead_letter_id: id,
            delivery_id: result.deadLetter.delivery_id,
            message_id: result.deadLetter.message.message_id,
            by,
          },
          'dead letter replayed',
        );
      return c.json(
        { replay: result.outcome === 'replayed' ? 'started' : 'already_requested', dead_letter: present(result.deadLetter) },
        202,
      );
    },
  });

  return routes;
}

function params(c: Context): z.infer<typeof IdParamsSchema> {
  const parsed = IdParamsSchema.safeParse(c.req.param());
  if (!parsed.success) throw validationProblem(parsed.error, 'path');
  return parsed.data;
}

/** MongoDB or Kafka not answering is a 503 with Retry-After, never a 500. */
async function unavailableOnStoreError<T>(d: DlqDeps, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    d.logger.warn(
      { err: { name: (err as Error).name, message: (err as Error).message } },
      'dead-letter store or event log failed; answering 503',
    );
    const what = err instanceof PublishUnavailableError ? 'the event log (Kafka)' : 'the dead-letter store (MongoDB)';
    throw new ProblemError('unavailable', `${what} did not answer; retry shortly`, { headers: { 'Retry-After': '2' } });
  }
}

function present(dl: DeadLetter): z.infer<typeof DeadLetterViewSchema> {
  return {
    id: dl.id,
    delivery_id: dl.delivery_id,
    message_id: dl.message.message_id,
    conversation_id: dl.message.conversation_id,
    sequence_number: dl.message.sequence_number,
    from: dl.message.from,
    recipient: dl.recipient,
    channel: dl.channel,
    payload: dl.message.payload,
    reason: dl.reason,
    last_error: dl.last_error,
    attempts: dl.attempts,
    failed_at: dl.failed_at,
    ...(dl.replayed_at ? { replayed_at: dl.replayed_at } : {}),
    ...(dl.replayed_by ? { replayed_by: dl.replayed_by } : {}),
  };
}

function presentRecord(r: RejectedRecord): z.infer<typeof RejectedRecordViewSchema> {
  return {
    id: r.id,
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    reason: r.reason,
    raw: r.raw,
    ...(r.message_id ? { message_id: r.message_id } : {}),
    failed_at: r.failed_at,
  };
}
