import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { validate } from '@readme/openapi-parser';
import { buildHubApps } from '../../scripts/sdk-generate';
import { createFrontendApp } from '../../services/frontend/src/app';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { headers?: object }>; security?: object[] }>>;
};

/** Served by a service but deliberately not part of the public API document: probes, metrics and the reference itself. */
const NOT_API = new Set([
  '/health/live',
  '/health/ready',
  '/metrics',
  '/openapi.json',
  '/openapi/frontend.json',
  '/asyncapi.json',
  '/docs',
  '/docs/websocket',
  '/docs/assets/{name}',
]);

const toOpenApiPath = (honoPath: string) => honoPath.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');

/** Every route the hub's Hono apps register (middleware entries excluded), as `METHOD /path`. */
export function servedOperations(apps: Record<string, { routes: Array<{ method: string; path: string }> }>): string[] {
  const ops = new Set<string>();
  for (const app of Object.values(apps)) {
    for (const r of app.routes) {
      if (r.method === 'ALL' || r.path.endsWith('*')) continue;
      const path = toOpenApiPath(r.path);
      if (NOT_API.has(path)) continue;
      ops.add(`${r.method} ${path}`);
    }
  }
  return [...ops].sort();
}

async function gatewayDocument(): Promise<Doc> {
  // What the gateway serves at /openapi.json: the frontend answers it.
  const app = createFrontendApp({ logger: pino({ level: 'silent' }), registry: new Registry(), checks: [], isDraining: () => false });
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

describe("the gateway's OpenAPI document (issue 19, item 1)", () => {
  it('documents every operation that frontend, files and presence serve', async () => {
    const doc = await gatewayDocument();
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    const served = servedOperations(buildHubApps());
    // The services' apps really were enumerated (a broken enumeration must not pass vacuously).
    expect(served).toEqual(expect.arrayContaining(['GET /v1/presence/{username}', 'POST /v1/files/initiate', 'POST /v1/messages']));
    expect(served.filter((op) => !documented.has(op))).toEqual([]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await gatewayDocument();
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents Retry-After on every 429 and 503, and the token flows', async () => {
    const doc = (await gatewayDocument()) as Doc & {
      components: { securitySchemes: Record<string, { flows?: Record<string, { tokenUrl: string }> }> };
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const status of ['429', '503']) {
          if (op.responses[status]) expect(op.responses[status].headers, `${method} ${path} ${status}`).toHaveProperty('Retry-After');
        }
      }
    }
    expect(doc.components.securitySchemes.oauth2?.flows?.password?.tokenUrl).toBe('/v1/auth/token');
    expect(doc.components.securitySchemes.oauth2?.flows?.clientCredentials?.tokenUrl).toBe('/v1/auth/token');
  });
});
