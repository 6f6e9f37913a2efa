import type { Context } from 'hono';
import { z } from 'zod';
import { newId, type Principal } from '@hub/domain';
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
import { eventIdOf, pingPayload, PING_EVENT, publicWebhookDelivery, publicWebhook, type WebhookRecord } from '@hub/webhooks';
import { applyWebhookPatch } from './webhook-patch';
import {
  CreateWebhookRequestSchema,
  WebhookDeliveryListQuerySchema,
  WebhookDeliveryListSchema,
  WebhookDeliveryParamsSchema,
  WebhookDeliverySchema,
  RotateSecretRequestSchema,
  UpdateWebhookRequestSchema,
  WebhookParamsSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from './webhook-schemas';
import type { WebhooksDeps } from './webhooks-deps';

type Env = { Variables: AuthVariables };

const security = [{ bearer: [] }];
const tags = ['webhooks'];
const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const idParams = WebhookParamsSchema;

/**
 * /v1/webhooks: an API client's webhook registrations (scope
 * `webhooks:manage`), their delivery log, re-sends and test events. Each
 * client sees and changes only its own webhooks: registrations live under
 * the client's id, so another client's webhook is simply not found (404).
 */
export function webhooksRoutes(d: WebhooksDeps, openapi: OpenAPIRegistry): RouteGroup<Env> {
  const routes = new RouteGroup<Env>(openapi, '/v1/webhooks');
  const app = routes.app;
  app.use('*', d.auth, requireScope('webhooks:manage'));

  routes.route({
    method: 'post',
    path: '/',
    tags,
    security,
    summary: 'Register a webhook (scope webhooks:manage)',
    description: `Events of the messages and files this API client submitted are POSTed to \`url\`, signed per Standard Webhooks (headers webhook-id, webhook-timestamp, webhook-signature). The signing secret is in this response only. A client may register ${d.maxPerClient} webhooks. Delivery: every non-2xx answer, timeout (10 s by default) or connection error is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±20 % jitter; configurable), then the delivery is marked failed; the webhook-id stays the same on every attempt, so deduplicate on it. Deliveries of one message go out one at a time in status order (sent before delivered before read) per webhook; a delivery waiting for its retry holds back later events of the same message. An endpoint failing continuously for 5 days is disabled (disabled_at, disabled_reason).`,
    request: { body: { content: { 'application/json': { schema: CreateWebhookRequestSchema } } } },
    responses: {
      201: json(WebhookWithSecretSchema, 'Registered; the secret is shown only here'),
      ...problemResponses(400, 401, 403, 409, 413, 415, 429, 503),
    },
    handler: async (c) => {
      const owner = ownerOf(c);
      const body = await readJson(c, CreateWebhookRequestSchema, { limitBytes: d.maxBodyBytes });
      await checkUrl(d, body.url);
      const existing = await store(() => d.repo.list(owner));
      if (existing.length >= d.maxPerClient)
        throw new ProblemError('conflict', `a client may register at most ${d.maxPerClient} webhooks; delete one first`);
      const created = await store(() => d.repo.create(owner, body));
      d.logger.info({ event: 'webhooks.created', webhook_id: created.webhook_id, owner, events: created.events }, 'webhook registered');
      c.header('Location', `/v1/webhooks/${created.webhook_id}`);
      c.header('Cache-Control', 'no-store');
      return c.json({ ...publicWebhook(created), secret: created.secret }, 201);
    },
  });

  routes.route({
    method: 'get',
    path: '/',
    tags,
    security,
    summary: 'List your webhooks',
    responses: {
      200: json(z.object({ webhooks: z.array(WebhookSchema) }), 'Your webhooks, oldest first; never secrets'),
      ...problemResponses(401, 403, 429, 503),
    },
    handler: async (c) => {
      const owner = ownerOf(c);
      const all = await store(() => d.repo.list(owner));
      return c.json({ webhooks: all.map(publicWebhook) });
    },
  });

  routes.route({
    method: 'get',
    path: '/{id}',
    tags,
    security,
    summary: 'Get one of your webhooks',
    request: { params: idParams },
    responses: { 200: json(WebhookSchema, 'The webhook'), ...problemResponses(400, 401, 403, 404, 429, 503) },
    handler: async (c) => c.json(publicWebhook(await find(c))),
  });

  routes.route({
    method: 'patch',
    path: '/{id}',
    tags,
    security,
    summary: 'Change url, events, description or active',
    request: { params: idParams, body: { content: { 'application/json': { schema: UpdateWebhookRequestSchema } } } },
    responses: { 200: json(WebhookSchema, 'The updated webhook'), ...problemResponses(400, 401, 403, 404, 413, 415, 429, 503) },
    handler: async (c) => {
      const owner = ownerOf(c);
      const { id } = params(c, WebhookParamsSchema);
      const patch = await readJson(c, UpdateWebhookRequestSchema, { limitBytes: d.maxBodyBytes });
      if (patch.url !== undefined) await checkUrl(d, patch.url);
      const updated = await store(() => d.repo.update(owner, id, (r) => applyWebhookPatch(r, patch, new Date())));
      if (!updated) throw notFound(id);
      d.logger.info({ event: 'webhooks.updated', webhook_id: id, owner, fields: Object.keys(patch) }, 'webhook updated');
      return c.json(publicWebhook(updated));
    },
  });

  routes.route({
    method: 'delete',
    path: '/{id}',
    tags,
    security,
    summary: 'Delete a webhook; no more calls are made, pending deliveries fail',
    request: { params: idParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404, 429, 503) },
    handler: async (c) => {
      const owner = ownerOf(c);
      const { id } = params(c, WebhookParamsSchema);
      if (!(await store(() => d.repo.delete(owner, id)))) throw notFound(id);
      d.logger.info({ event: 'webhooks.deleted', webhook_id: id, owner }, 'webhook deleted');
      return c.body(null, 204);
    },
  });

  routes.route({
    method: 'post',
    path: '/{id}/rotate-secret',
    tags,
    security,
    summary: 'Replace the signing secret',
    description:
      'Returns the new secret (shown only here). During the grace period every call carries two signatures, one per secret, so receivers can switch without dropping calls. The body is optional.',
    request: { params: idParams, body: { required: false, content: { 'application/json': { schema: RotateSecretRequestSchema } } } },
    responses: {
      200: json(WebhookWithSecretSchema, 'The webhook with its new secret'),
      ...problemResponses(400, 401, 403, 404, 413, 415, 429, 503),
    },
    handler: async (c) => {
      const owner = ownerOf(c);
      const { id } = params(c, WebhookParamsSchema);
      const body = hasBody(c) ? await readJson(c, RotateSecretRequestSchema, { limitBytes: d.maxBodyBytes }) : {};
      const graceMs = body.grace_period_s !== undefined ? body.grace_period_s * 1000 : d.defaultGraceMs;
      const rotated = await store(() => d.repo.rotateSecret(owner, id, graceMs));
      if (!rotated) throw notFound(id);
      d.logger.info({ event: 'webhooks.secret_rotated', webhook_id: id, owner, grace_ms: graceMs }, 'webhook secret rotated');
      c.header('Cache-Control', 'no-store');
      return c.json({ ...publicWebhook(rotated), secret: rotated.secret });
    },
  });

  routes.route({
    method: 'post',
    path: '/{id}/test',
    tags,
    security,
    summary: `Send a ${PING_EVENT} event`,
    description: 'Queues one signed ping call (one attempt, no retries); follow Location to see its result in the delivery log.',
    request: { params: idParams },
    responses: { 202: json(WebhookDeliverySchema, 'Queued'), ...problemResponses(400, 401, 403, 404, 409, 429, 503) },
    handler: async (c) => {
      const reg = await find(c);
      assertDeliverable(reg);
      const now = new Date();
      const delivery = {
        delivery_id: newId(),
        webhook_id: reg.webhook_id,
        owner: reg.owner,
        event_id: eventIdOf(newId()),
        event_type: PING_EVENT,
        body: JSON.stringify(pingPayload(reg.webhook_id, now)),
        created_at: now,
        // A test event is tried once; its result is in the delivery log.
        max_attempts: 1,
      };
      await store(() => d.deliveries.submit(delivery));
      const stored = await store(() => d.deliveries.get(reg.webhook_id, delivery.delivery_id));
      c.header('Location', `/v1/webhooks/${reg.webhook_id}/deliveries/${delivery.delivery_id}`);
      return c.json(publicWebhookDelivery(stored!), 202);
    },
  });

  routes.route({
    method: 'get',
    path: '/{id}/deliveries',
    tags,
    security,
    summary: 'The delivery log, newest first',
    description:
      'Every event sent to this webhook with each attempt: time, status code, latency, error and the start of the response body. Kept 30 days (configurable).',
    request: { params: idParams, query: WebhookDeliveryListQuerySchema },
    responses: { 200: json(WebhookDeliveryListSchema, 'A page of deliveries'), ...problemResponses(400, 401, 403, 404, 429, 503) },
    handler: async (c) => {
      const reg = await find(c);
      const q = readQuery(c, WebhookDeliveryListQuerySchema);
      // One more than asked tells whether there is a next page.
      const page = await store(() =>
        d.deliveries.list(reg.webhook_id, {
          limit: q.limit + 1,
          ...(q.cursor ? { before: q.cursor } : {}),
          ...(q.state ? { state: q.state } : {}),
        }),
      );
      const more = page.length > q.limit;
      const shown = page.slice(0, q.limit);
      return c.json({ deliveries: shown.map(publicWebhookDelivery), ...(more ? { next_cursor: shown.at(-1)!.delivery_id } : {}) });
    },
  });

  routes.route({
    method: 'get',
    path: '/{id}/deliveries/{delivery_id}',
    tags,
    security,
    summary: 'One delivery with its attempts',
    request: { params: WebhookDeliveryParamsSchema },
    responses: { 200: json(WebhookDeliverySchema, 'The delivery'), ...problemResponses(400, 401, 403, 404, 429, 503) },
    handler: async (c) => {
      const { id, delivery_id } = params(c, WebhookDeliveryParamsSchema);
      await find(c, id);
      const delivery = await store(() => d.deliveries.get(id, delivery_id));
      if (!delivery) throw new ProblemError('not_found', `no delivery ${delivery_id} for webhook ${id}`);
      return c.json(publicWebhookDelivery(delivery));
    },
  });

  routes.route({
    method: 'post',
    path: '/{id}/deliveries/{delivery_id}/retry',
    tags,
    security,
    summary: 'Re-send a delivery',
    description:
      'A finished delivery (succeeded or failed) gets one more attempt with the same webhook-id; a pending one is attempted now instead of at its scheduled time.',
    request: { params: WebhookDeliveryParamsSchema },
    responses: { 202: json(WebhookDeliverySchema, 'Queued'), ...problemResponses(400, 401, 403, 404, 409, 429, 503) },
    handler: async (c) => {
      const { id, delivery_id } = params(c, WebhookDeliveryParamsSchema);
      const reg = await find(c, id);
      assertDeliverable(reg);
      const requeued = await store(() => d.deliveries.requeue(id, delivery_id, new Date()));
      if (!requeued) throw new ProblemError('not_found', `no delivery ${delivery_id} for webhook ${id}`);
      d.logger.info(
        { event: 'webhooks.delivery_retried', webhook_id: id, delivery_id, owner: reg.owner },
        'webhook delivery re-sent on request',
      );
      return c.json(publicWebhookDelivery(requeued), 202);
    },
  });

  async function find(c: Context<Env>, knownId?: string): Promise<WebhookRecord> {
    const owner = ownerOf(c);
    const id = knownId ?? params(c, WebhookParamsSchema).id;
    const reg = await store(() => d.repo.get(owner, id));
    if (!reg) throw notFound(id);
    return reg;
  }

  return routes;
}

/** Webhooks belong to API clients; end users never hold webhooks:manage, but refuse them plainly should one try. */
function ownerOf(c: Context<Env>): string {
  const p = c.get('principal') as Principal | undefined;
  if (!p) throw new ProblemError('unauthorized');
  if (p.kind !== 'client') throw new ProblemError('forbidden', 'webhooks are registered by API clients (client_credentials tokens)');
  return p.subject;
}

function params<S extends z.ZodType>(c: Context<Env>, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw validationProblem(parsed.error, 'path');
  return parsed.data;
}

async function checkUrl(d: WebhooksDeps, url: string): Promise<void> {
  const verdict = await d.vetter.vet(url);
  if (!verdict.ok) {
    const message = verdict.reason.replace(/^URL /, '');
    throw new ProblemError('validation_failed', `body: url: ${message}`, { errors: [{ field: 'url', message }] });
  }
}

function assertDeliverable(reg: WebhookRecord): void {
  if (reg.active && !reg.disabled_at) return;
  const why = reg.disabled_at ? `disabled by the hub (${reg.disabled_reason ?? 'failing continuously'})` : 'paused';
  throw new ProblemError('conflict', `webhook ${reg.webhook_id} is ${why}; PATCH it with {"active": true} first`);
}

function notFound(id: string): ProblemError {
  return new ProblemError('not_found', `no webhook ${id}`);
}

function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  return (
    Boolean(c.req.header('content-type')) || (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined
  );
}

/** A store that did not answer is the server's problem: 503 with Retry-After, never 500. */
async function store<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    throw new ProblemError('unavailable', 'the webhook store (etcd or MongoDB) did not answer; retry shortly', {
      headers: { 'Retry-After': '1' },
    });
  }
}
