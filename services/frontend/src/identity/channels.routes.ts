import type { Context } from 'hono';
import { EtcdKeys, isAdmin, type ChannelMapping, type ExternalChannel } from '@hub/domain';
import { channelFields, externalIdOf, MappingBodySchemas, principalOf, unavailableOnTransient } from '@hub/identity';
import {
  problemResponses,
  ProblemError,
  readJson,
  validationProblem,
  type AuthVariables,
  type OpenAPIRegistry,
  RouteGroup,
} from '@hub/platform';
import { z } from 'zod';
import type { IdentityDeps } from './identity-deps';
import { MappingBodySchema, MappingParamsSchema, MappingSchema, UserParamsSchema } from './schemas';

const security = [{ bearer: [] }];
const who = 'A user may manage only their own mappings (403 otherwise); an API client needs the admin scope.';

/**
 * PUT|GET|DELETE /v1/users/{username}/channels/{channel} and the list at
 * /v1/users/{username}/channels. A user manages only their own mappings;
 * an admin client manages anyone's.
 */
export function channelsRoutes(d: IdentityDeps, openapi: OpenAPIRegistry): RouteGroup<{ Variables: AuthVariables }> {
  const routes = new RouteGroup<{ Variables: AuthVariables }>(openapi, '/v1/users');
  const app = routes.app;
  app.use('*', d.authStack.middleware);

  routes.route({
    method: 'get',
    path: '/{username}/channels',
    tags: ['channels'],
    summary: "List a user's channel mappings",
    description: who,
    security,
    request: { params: UserParamsSchema },
    responses: {
      200: { description: 'Mappings', content: { 'application/json': { schema: z.object({ channels: z.array(MappingSchema) }) } } },
      ...problemResponses(400, 401, 403, 429),
    },
    handler: (c) => {
      const { username } = authorised(c, UserParamsSchema);
      return c.json({ channels: d.directory.listMappings(username).map(present) });
    },
  });

  routes.route({
    method: 'get',
    path: '/{username}/channels/{channel}',
    tags: ['channels'],
    summary: 'Read one channel mapping',
    description: who,
    security,
    request: { params: MappingParamsSchema },
    responses: {
      200: { description: 'The mapping', content: { 'application/json': { schema: MappingSchema } } },
      ...problemResponses(400, 401, 403, 404, 429),
    },
    handler: (c) => {
      const { username, channel } = authorised(c, MappingParamsSchema);
      const mapping = d.directory.getMapping(username, channel);
      if (!mapping) throw new ProblemError('not_found', `${username} has no ${channel} mapping`);
      return c.json(present(mapping));
    },
  });

  routes.route({
    method: 'put',
    path: '/{username}/channels/{channel}',
    tags: ['channels'],
    summary: 'Link a user to their account on an external channel',
    description: `${who} Body per channel: telegram {"chat_id": integer}, whatsapp {"phone": "+E.164"}, instagram and messenger {"external_id": "1–64 of A–Z a–z 0–9 _ . : -"}. One external id belongs to at most one user (409 otherwise). Bodies over ${d.maxBodyBytes} bytes are refused with 413.`,
    security,
    request: { params: MappingParamsSchema, body: { content: { 'application/json': { schema: MappingBodySchema } } } },
    responses: {
      200: { description: 'Updated', content: { 'application/json': { schema: MappingSchema } } },
      201: { description: 'Created', content: { 'application/json': { schema: MappingSchema } } },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
    },
    handler: async (c) => {
      const { username, channel } = authorised(c, MappingParamsSchema);
      const body = await readJson(c, MappingBodySchemas[channel], { limitBytes: d.maxBodyBytes });
      if (!d.directory.getUser(username) && !(await unavailableOnTransient(() => d.users.get(username), d.logger)))
        throw new ProblemError('not_found', `no user ${username}`);
      const externalId = externalIdOf(channel, body);
      const result = await unavailableOnTransient(() => d.mappings.link(username, channel, externalId), d.logger);
      if (!result.ok)
        throw new ProblemError('conflict', `this ${channel} id is already linked to another user`, {
          errors: [
            {
              field: channel === 'telegram' ? 'chat_id' : channel === 'whatsapp' ? 'phone' : 'external_id',
              message: 'already linked to another user',
            },
          ],
        });
      d.directory.apply({ type: 'put', key: EtcdKeys.mapping(username, channel), value: result.mapping });
      d.directory.apply({ type: 'put', key: EtcdKeys.channelIndex(channel, externalId), value: { username } });
      d.logger.info({ event: 'mappings.linked', username, channel, by: principalOf(c).subject }, 'channel mapping saved');
      return c.json(present(result.mapping), result.created ? 201 : 200);
    },
  });

  routes.route({
    method: 'delete',
    path: '/{username}/channels/{channel}',
    tags: ['channels'],
    summary: 'Remove a channel mapping',
    description: who,
    security,
    request: { params: MappingParamsSchema },
    responses: { 204: { description: 'Removed' }, ...problemResponses(400, 401, 403, 404, 429, 503) },
    handler: async (c) => {
      const { username, channel } = authorised(c, MappingParamsSchema);
      if (!(await unavailableOnTransient(() => d.mappings.unlink(username, channel), d.logger)))
        throw new ProblemError('not_found', `${username} has no ${channel} mapping`);
      d.directory.apply({ type: 'delete', key: EtcdKeys.mapping(username, channel) });
      d.logger.info({ event: 'mappings.unlinked', username, channel, by: principalOf(c).subject }, 'channel mapping removed');
      return c.body(null, 204);
    },
  });

  return routes;
}

/** Validates the path, then checks the caller may act on that user's mappings (403 otherwise). */
function authorised<S extends z.ZodType<{ username: string }>>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw validationProblem(parsed.error, 'path');
  const p = principalOf(c);
  const { username } = parsed.data;
  if (p.kind === 'user' && p.subject !== username) throw new ProblemError('forbidden', 'you can only manage your own channel mappings');
  if (p.kind === 'client' && !isAdmin(p))
    throw new ProblemError('insufficient_scope', 'managing channel mappings of users needs the "admin" scope', {
      extra: { required_scope: 'admin' },
    });
  return parsed.data;
}

function present(m: ChannelMapping): Record<string, unknown> {
  return {
    username: m.username,
    channel: m.channel,
    external_id: m.external_id,
    ...channelFields(m.channel as ExternalChannel, m.external_id),
    linked_at: m.linked_at,
  };
}
