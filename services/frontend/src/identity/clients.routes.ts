import { EtcdKeys } from '@hub/domain';
import { principalOf, unavailableOnTransient } from '@hub/identity';
import {
  problemResponses,
  ProblemError,
  readJson,
  requireScope,
  validationProblem,
  type AuthVariables,
  type OpenAPIRegistry,
  RouteGroup,
} from '@hub/platform';
import type { IdentityDeps } from './identity-deps';
import { ClientIdParamsSchema, ClientSchema, CreateClientRequestSchema, CreatedClientSchema } from './schemas';
import { z } from 'zod';

/** POST|GET /v1/clients, DELETE /v1/clients/{client_id}: API clients of business systems (admin scope). */
export function clientsRoutes(d: IdentityDeps, openapi: OpenAPIRegistry): RouteGroup<{ Variables: AuthVariables }> {
  const routes = new RouteGroup<{ Variables: AuthVariables }>(openapi, '/v1/clients');
  const app = routes.app;
  app.use('*', d.authStack.middleware, requireScope('admin'));

  routes.route({
    method: 'post',
    path: '/',
    tags: ['clients'],
    summary: 'Create an API client (admin)',
    description: `Returns client_id and client_secret; the secret is shown only here and stored as a digest. Exchange them at POST /v1/auth/token (grant_type=client_credentials). Bodies over ${d.maxBodyBytes} bytes are refused with 413.`,
    security: [{ bearer: [] }],
    request: { body: { content: { 'application/json': { schema: CreateClientRequestSchema } } } },
    responses: {
      201: { description: 'Created', content: { 'application/json': { schema: CreatedClientSchema } } },
      ...problemResponses(400, 401, 403, 413, 415, 429, 503),
    },
    handler: async (c) => {
      const body = await readJson(c, CreateClientRequestSchema, { limitBytes: d.maxBodyBytes });
      const { client, secret } = await unavailableOnTransient(() => d.clients.create(body), d.logger);
      d.directory.apply({ type: 'put', key: EtcdKeys.client(client.client_id), value: client });
      d.logger.info(
        { event: 'clients.created', client_id: client.client_id, scopes: client.scopes, by: principalOf(c).subject },
        'API client created',
      );
      c.header('Location', `/v1/clients/${client.client_id}`);
      c.header('Cache-Control', 'no-store');
      return c.json({ ...client, client_secret: secret }, 201);
    },
  });

  // From the cache: changes made on any instance show up here within the watch delay.
  routes.route({
    method: 'get',
    path: '/',
    tags: ['clients'],
    summary: 'List API clients (admin); never includes secrets',
    security: [{ bearer: [] }],
    responses: {
      200: { description: 'Clients', content: { 'application/json': { schema: z.object({ clients: z.array(ClientSchema) }) } } },
      ...problemResponses(401, 403, 429),
    },
    handler: (c) => c.json({ clients: d.directory.listClients() }),
  });

  routes.route({
    method: 'delete',
    path: '/{client_id}',
    tags: ['clients'],
    summary: 'Delete an API client (admin); its tokens stop working at once',
    security: [{ bearer: [] }],
    request: { params: ClientIdParamsSchema },
    responses: { 204: { description: 'Deleted' }, ...problemResponses(400, 401, 403, 404, 409, 429, 503) },
    handler: async (c) => {
      const parsed = ClientIdParamsSchema.safeParse(c.req.param());
      if (!parsed.success) throw validationProblem(parsed.error, 'path');
      const { client_id } = parsed.data;
      if (principalOf(c).subject === client_id)
        throw new ProblemError('conflict', 'a client cannot delete itself (it would lock you out); use another admin client');
      if (!(await unavailableOnTransient(() => d.clients.delete(client_id), d.logger)))
        throw new ProblemError('not_found', `no API client ${client_id}`);
      d.directory.apply({ type: 'delete', key: EtcdKeys.client(client_id) });
      d.logger.info({ event: 'clients.deleted', client_id, by: principalOf(c).subject }, 'API client deleted');
      return c.body(null, 204);
    },
  });

  return routes;
}
