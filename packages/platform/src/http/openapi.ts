import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds .openapi() to zod schemas so route modules can name and describe them.
extendZodWithOpenApi(z);

export { OpenAPIRegistry, type RouteConfig };

/** problem+json, referenced by every error response in the document. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

/** Error responses shared by most operations. */
export function problemResponses(...statuses: number[]): RouteConfig['responses'] {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (the `errors` array names each bad field)',
    401: 'Missing, invalid, expired or revoked access token',
    403: 'Authenticated but not allowed',
    404: 'Not found (also returned for resources you may not see)',
    409: 'Conflict',
    413: 'Body larger than the documented limit',
    415: 'Content-Type is not application/json',
    422: 'Well-formed, but cannot be processed as sent (see detail and errors)',
    429: 'Rate limit exceeded (see Retry-After and RateLimit-* headers)',
    503: 'A dependency is unavailable; retry after Retry-After seconds',
  };
  const out: RouteConfig['responses'] = {};
  for (const s of statuses)
    out[s] = { description: descriptions[s] ?? 'Error', content: { 'application/problem+json': { schema: ProblemSchema } } };
  return out;
}

export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  return registry;
}

export function buildOpenApiDocument(registry: OpenAPIRegistry, info: { title: string; version: string; description?: string }): object {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info, servers: [{ url: '/' }] });
}
