import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compareRoutesWithDocument } from '@hub/platform';
import { FRONTEND_OPENAPI_PATH } from './api-reference/api-reference.routes';
import { createFrontendApp, type FrontendDeps } from './app';

/** Served without an OpenAPI entry on purpose: probes, metrics, the documents and their viewers. */
const NOT_IN_DOCUMENT = [
  '/health/live',
  '/health/ready',
  '/metrics',
  '/openapi.json',
  FRONTEND_OPENAPI_PATH,
  '/asyncapi.json',
  '/docs',
  '/docs/assets/{name}',
  '/docs/websocket',
];

/**
 * Stands in for every feature's dependencies. The app is only built, never
 * called: routes are listed from the router table, so no dependency is used.
 * Any property read gives another stand-in, and a stand-in called as a
 * middleware fails loudly.
 */
function unused<T>(): T {
  const stand: any = new Proxy(
    function unusedDependency() {
      throw new Error('a dependency was called while only listing routes');
    },
    { get: (_t, key) => (key === 'then' ? undefined : key === Symbol.toPrimitive ? () => 1 : stand) },
  );
  return stand as T;
}

describe('frontend OpenAPI document', () => {
  it('documents every operation the app serves, and nothing it does not serve', async () => {
    const app = createFrontendApp({
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      checks: [],
      isDraining: () => false,
      identity: unused<NonNullable<FrontendDeps['identity']>>(),
      webhooks: unused<NonNullable<FrontendDeps['webhooks']>>(),
      dlq: unused<NonNullable<FrontendDeps['dlq']>>(),
      messages: unused<NonNullable<FrontendDeps['messages']>>(),
      telegram: unused<NonNullable<FrontendDeps['telegram']>>(),
    });
    // The frontend's own document (/openapi.json is the hub's merged one, checked in test/api-reference).
    const document = (await (await app.request(FRONTEND_OPENAPI_PATH)).json()) as { paths: Record<string, object> };
    const { undocumented, notServed } = compareRoutesWithDocument(app, document, NOT_IN_DOCUMENT);
    expect(undocumented, `served but missing from ${FRONTEND_OPENAPI_PATH}`).toEqual([]);
    expect(notServed, `in ${FRONTEND_OPENAPI_PATH} but not served`).toEqual([]);
    // The comparison saw the whole API, not an empty app.
    expect(Object.keys(document.paths).length).toBeGreaterThan(20);
  });
});
