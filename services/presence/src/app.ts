import type { Hono } from 'hono';
import {
  createOpenApiRegistry,
  createServiceApp,
  serveOpenApiDocument,
  type HealthCheck,
  type HubEnv,
  type Logger,
  type Registry,
  type CorsPolicy,
} from '@hub/platform';
import { presenceRoutes, type PresenceRoutesDeps } from './presence.routes';

export interface PresenceDeps {
  logger: Logger;
  registry: Registry;
  checks: HealthCheck[];
  isDraining: () => boolean;
  /** Browser access from other origins (CORS_ALLOWED_ORIGINS). */
  cors?: CorsPolicy;
  /** The presence REST endpoints; left out, only health and metrics are served. */
  presence?: PresenceRoutesDeps;
}

/** The WebSocket gateway (`/v1/ws`) and presence endpoints. */
export function createPresenceApp(deps: PresenceDeps): Hono<HubEnv> {
  const app = createServiceApp({
    service: 'presence',
    logger: deps.logger,
    registry: deps.registry,
    checks: deps.checks,
    isDraining: deps.isDraining,
    cors: deps.cors,
  });
  const openapi = createOpenApiRegistry();
  if (deps.presence) presenceRoutes(deps.presence, openapi).mountOn(app);
  serveOpenApiDocument(app, openapi, { title: 'Messaging hub presence API', version: '1' });
  return app;
}
