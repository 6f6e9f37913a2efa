import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Hono, type Env, type Handler, type MiddlewareHandler } from 'hono';
import { buildOpenApiDocument } from './openapi';

export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * One route: what Hono serves and what the OpenAPI document says about it,
 * written once. `path` is relative to the group's base and spells parameters
 * the OpenAPI way (`/{id}/replay`); the Hono pattern is derived from it, so
 * the two cannot drift apart.
 */
export interface RouteDefinition<E extends Env> extends Omit<RouteConfig, 'method' | 'path'> {
  method: RouteMethod;
  path: string;
  /** Middleware for this route only (scope checks, per-route auth), run before the handler. */
  use?: MiddlewareHandler<E>[];
  handler: Handler<E>;
}

/**
 * The routes under one path prefix: a Hono app for them (group-wide
 * middleware goes on `app` with `app.use`) and their entries in the
 * service's OpenAPI registry.
 */
export class RouteGroup<E extends Env = Env> {
  readonly app = new Hono<E>();

  constructor(
    private readonly openapi: OpenAPIRegistry,
    /** Where the group is mounted, e.g. `/v1/messages`. */
    readonly base: string,
  ) {}

  route(def: RouteDefinition<E>): this {
    const { method, path, use = [], handler, ...entry } = def;
    this.app.on(method.toUpperCase(), honoPath(path), ...(use as [MiddlewareHandler<E>]), handler);
    this.openapi.registerPath({ ...entry, method, path: documentPath(this.base, path) });
    return this;
  }

  /** Serves the group's routes from `parent` under `base`. */
  mountOn(parent: Hono<any>): void {
    parent.route(this.base, this.app);
  }
}

/** `/{id}/replay` → `/:id/replay`. */
export function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

function documentPath(base: string, path: string): string {
  return path === '/' ? base : `${base}${path}`;
}

/** Serves the registry's document at /openapi.json, built once on first request (every route is registered by then). */
export function serveOpenApiDocument(
  app: Hono<any>,
  openapi: OpenAPIRegistry,
  info: { title: string; version: string; description?: string },
): void {
  let document: object | undefined;
  app.get('/openapi.json', (c) => c.json((document ??= buildOpenApiDocument(openapi, info))));
}

/**
 * The operations `app` serves that `document` leaves out (and the other way
 * round), as `METHOD /path` in OpenAPI spelling. `exclude` names paths that
 * are served on purpose without an entry (health, metrics, the document
 * itself). Middleware (`app.use`) is not an operation and is ignored.
 */
export function compareRoutesWithDocument(
  app: Hono<any>,
  document: { paths?: Record<string, object> },
  exclude: readonly string[],
): { undocumented: string[]; notServed: string[] } {
  const served = new Set<string>();
  for (const r of app.routes) {
    if (r.method === 'ALL') continue;
    const path = r.path.replace(/:([^/{}]+)/g, '{$1}');
    if (exclude.includes(path)) continue;
    served.add(`${r.method.toUpperCase()} ${path}`);
  }
  const documented = new Set<string>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of Object.keys(item))
      if (['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) documented.add(`${method.toUpperCase()} ${path}`);
  }
  return {
    undocumented: [...served].filter((op) => !documented.has(op)).sort(),
    notServed: [...documented].filter((op) => !served.has(op)).sort(),
  };
}
