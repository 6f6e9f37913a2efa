import type { Hono, MiddlewareHandler } from 'hono';
import {
  createOpenApiRegistry,
  serveOpenApiDocument,
  createServiceApp,
  type HealthCheck,
  type HubEnv,
  type Logger,
  type Registry,
  type CorsPolicy,
} from '@hub/platform';
import type { FileService } from './file-service';
import { filesRoutes } from './files.routes';
import type { FilesSchemas } from './files.schemas';

export interface FilesDeps {
  logger: Logger;
  registry: Registry;
  checks: HealthCheck[];
  isDraining: () => boolean;
  /** Browser access from other origins (CORS_ALLOWED_ORIGINS). */
  cors?: CorsPolicy;
  service: FileService;
  schemas: FilesSchemas;
  authenticate: MiddlewareHandler;
  maxBodyBytes: number;
}

/** The files API (`/v1/files`): presigned uploads and downloads. */
export function createFilesApp(deps: FilesDeps): Hono<HubEnv> {
  const app = createServiceApp({
    service: 'files',
    logger: deps.logger,
    registry: deps.registry,
    checks: deps.checks,
    isDraining: deps.isDraining,
    cors: deps.cors,
  });
  const openapi = createOpenApiRegistry();
  filesRoutes(deps, openapi).mountOn(app);
  serveOpenApiDocument(app, openapi, { title: 'Messaging hub files API', version: '1' });
  return app;
}
