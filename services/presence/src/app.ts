import type { Hono } from 'hono';
import { createServiceApp, type HealthCheck, type HubEnv, type Logger, type Registry } from '@hub/platform';

export interface PresenceDeps {
  logger: Logger;
  registry: Registry;
  checks: HealthCheck[];
  isDraining: () => boolean;
}

/** The WebSocket gateway (`/v1/ws`) and presence endpoints. */
export function createPresenceApp(deps: PresenceDeps): Hono<HubEnv> {
  return createServiceApp({ service: 'presence', logger: deps.logger, registry: deps.registry, checks: deps.checks, isDraining: deps.isDraining });
}
