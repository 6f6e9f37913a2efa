import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { hasScope, UsernameSchema, type Principal } from '@hub/domain';
import { ProblemError, problemResponses, RouteGroup, validationProblem, type HubEnv, type OpenAPIRegistry } from '@hub/platform';
import type { ConversationMembers } from './ports/conversation-members';
import type { PresenceStore } from '@hub/push';

export interface PresenceRoutesDeps {
  /** The hub's shared request stack (identity): token, revocation, rate limit; sets `principal`. */
  authenticate: MiddlewareHandler;
  store: PresenceStore;
  members: ConversationMembers;
}

const ParamsSchema = z.strictObject({ username: UsernameSchema });
const PresenceSchema = z.object({ user: UsernameSchema, status: z.enum(['online', 'offline']) }).openapi('Presence');

/**
 * `GET /v1/presence/{username}` → `{user, status: online|offline}`. An end
 * user may ask about themselves and about members of a conversation they
 * share that the other user accepted (created, replied in or accepted: a
 * conversation forced on someone shares nothing); an API client needs the
 * `messages:read` scope.
 */
export function presenceRoutes(d: PresenceRoutesDeps, openapi: OpenAPIRegistry): RouteGroup<HubEnv> {
  const routes = new RouteGroup<HubEnv>(openapi, '/v1/presence');
  routes.route({
    method: 'get',
    path: '/{username}',
    tags: ['presence'],
    summary: 'Whether a user is online',
    description:
      'An end user may ask about themselves and about members of a conversation they share that the other user accepted; anyone else is 403 (one answer for strangers, unknown names and members who have not accepted). An API client needs the `messages:read` scope.',
    security: [{ bearer: [] }],
    request: { params: ParamsSchema },
    responses: {
      200: { description: 'Presence', content: { 'application/json': { schema: PresenceSchema } } },
      ...problemResponses(400, 401, 403, 429, 503),
    },
    use: [d.authenticate],
    handler: async (c) => {
      const params = ParamsSchema.safeParse(c.req.param());
      if (!params.success) throw validationProblem(params.error, 'path');
      const { username } = params.data;
      const principal = c.get('principal') as Principal;
      if (principal.kind === 'user') {
        // One answer for a stranger, an unknown name and a member who has not accepted: nothing to tell apart.
        if (!(await d.members.mayShowPresence(principal.subject, username))) {
          throw new ProblemError('forbidden', `the presence of ${username} is not shared with you`);
        }
      } else if (!hasScope(principal, 'messages:read')) {
        throw new ProblemError('insufficient_scope', 'this operation needs the "messages:read" scope', {
          extra: { required_scope: 'messages:read' },
        });
      }
      const online = await d.store.isOnline(username).catch(() => {
        throw new ProblemError('unavailable', 'presence store did not answer; retry shortly', { headers: { 'Retry-After': '1' } });
      });
      return c.json({ user: username, status: online ? 'online' : 'offline' });
    },
  });
  return routes;
}
