import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { runHealthChecks, type HealthCheck } from '../health';
import { LATENCY_BUCKETS } from '../metrics';
import { ProblemError, problemBody } from './problem';
import { cors, type CorsPolicy } from './cors';
import { securityHeaders } from './security-headers';

export interface AppVariables {
  requestId: string;
}

export interface ServiceAppOptions {
  service: string;
  logger: Logger;
  registry: Registry;
  /** Dependencies checked by /health/ready. */
  checks: HealthCheck[];
  /** Set while draining so readiness fails and load balancers stop sending traffic. */
  isDraining?: () => boolean;
  /** Browser access from other origins (CORS_ALLOWED_ORIGINS); left out or empty, no CORS headers. */
  cors?: CorsPolicy;
}

export type HubEnv = { Variables: AppVariables & Record<string, unknown> };

/**
 * The common shell of every service: request ids, security headers, CORS, HTTP
 * metrics, health and metrics endpoints, and one error handler that renders
 * problem+json.
 * Routes are mounted on the returned app by the service.
 */
export function createServiceApp<E extends HubEnv = HubEnv>(opts: ServiceAppOptions): Hono<E> {
  const app = new Hono<E>();
  // RED per route. Labels stay bounded: the route template (never the raw
  // path), a known method or "other", the status class.
  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route template, method and status class (2xx, 4xx, 5xx)',
    labelNames: ['method', 'route', 'status_class'],
    registers: [opts.registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status class',
    labelNames: ['method', 'route', 'status_class'],
    buckets: LATENCY_BUCKETS,
    registers: [opts.registry],
  });

  app.use('*', securityHeaders());
  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    const labels = {
      method: methodLabel(c.req.method),
      route: routeLabel(c.req.routePath),
      status_class: `${Math.floor(c.res.status / 100)}xx`,
    };
    httpRequests.inc(labels);
    httpDuration.observe(labels, (performance.now() - started) / 1000);
  });
  if (opts.cors && opts.cors.allowedOrigins.length > 0) app.use('*', cors(opts.cors));

  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health/ready', async (c) => {
    if (opts.isDraining?.()) return c.json({ status: 'unavailable', reason: 'shutting down', checks: {} }, 503);
    const report = await runHealthChecks(opts.checks);
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    c.header('Content-Type', opts.registry.contentType);
    return c.body(await opts.registry.metrics());
  });

  app.notFound((c) => problem(c, new ProblemError('not_found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    if (err instanceof ProblemError) return problem(c, err);
    if (err instanceof HTTPException) {
      const code =
        err.status === 413 ? 'payload_too_large' : err.status === 401 ? 'unauthorized' : err.status === 404 ? 'not_found' : 'bad_request';
      return problem(c, new ProblemError(code, err.message || undefined));
    }
    opts.logger.error({ err, request_id: c.get('requestId'), path: c.req.path }, 'unhandled error');
    return problem(c, new ProblemError('internal', 'unexpected error; the request id identifies it in the logs'));
  });
  return app;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

/** The matched route template; requests no route matched (404s, probes) share one label. */
function routeLabel(routePath: string | undefined): string {
  return !routePath || routePath === '*' || routePath === '/*' ? 'unmatched' : routePath;
}

export function problem(c: Context, err: ProblemError): Response {
  const body = problemBody(err, c.get('requestId') as string | undefined, c.req.path);
  const headers: Record<string, string> = { 'Content-Type': 'application/problem+json', ...(err.options.headers ?? {}) };
  const requestId = c.get('requestId') as string | undefined;
  if (requestId) headers['X-Request-Id'] = requestId;
  return new Response(JSON.stringify(body), { status: err.status, headers: { ...Object.fromEntries(c.res.headers), ...headers } });
}
