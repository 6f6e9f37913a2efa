import type { Hono } from 'hono';
import { createServiceApp, type HealthCheck, type HubEnv, type Logger, type Registry } from '@hub/platform';

export interface FilesDeps {
  logger: Logger;
  registry: Registry;
  checks: HealthCheck[];
  isDraining: () => boolean;
}

/** The files API (`/v1/files`): presigned uploads and downloads. */
export function createFilesApp(deps: FilesDeps): Hono<HubEnv> {
  return createServiceApp({ service: 'files', logger: deps.logger, registry: deps.registry, checks: deps.checks, isDraining: deps.isDraining });
}
