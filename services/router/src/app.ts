import type { Hono } from 'hono';
import { createServiceApp, type HealthCheck, type HubEnv, type Logger, type Registry } from '@hub/platform';

export interface RouterDeps {
  logger: Logger;
  registry: Registry;
  checks: HealthCheck[];
  isDraining: () => boolean;
}

/** Health and metrics of the router workers (the workers themselves have no HTTP API). */
export function createRouterApp(deps: RouterDeps): Hono<HubEnv> {
  return createServiceApp({
    service: 'router',
    logger: deps.logger,
    registry: deps.registry,
    checks: deps.checks,
    isDraining: deps.isDraining,
  });
}
