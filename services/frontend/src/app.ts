import type { Hono } from 'hono';
import { createServiceApp, type HealthCheck, type HubEnv, type Logger, type Registry } from '@hub/platform';

export interface FrontendDeps {
  logger: Logger;
  registry: Registry;
  checks: HealthCheck[];
  isDraining: () => boolean;
}

/** The REST API (`/v1`), built apart from listening so tests can call it in-process. */
export function createFrontendApp(deps: FrontendDeps): Hono<HubEnv> {
  const app = createServiceApp({ service: 'frontend', logger: deps.logger, registry: deps.registry, checks: deps.checks, isDraining: deps.isDraining });
  return app;
}
