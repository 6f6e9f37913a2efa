import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compareRoutesWithDocument } from '@hub/platform';
import { createPresenceApp } from './app';
import type { ConversationMembers } from './ports/conversation-members';
import type { PresenceStore } from '@hub/push';

/** Served without an OpenAPI entry on purpose: probes, metrics and the document itself. The WebSocket (/v1/ws) is an HTTP upgrade on the server, not a route of the app. */
const NOT_IN_DOCUMENT = ['/health/live', '/health/ready', '/metrics', '/openapi.json'];

describe('presence OpenAPI document', () => {
  it('documents every operation the app serves, and nothing it does not serve', async () => {
    // The app is only built and its router table listed; no route is called, so the store and members are never used.
    const app = createPresenceApp({
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      checks: [],
      isDraining: () => false,
      presence: {
        authenticate: () => {
          throw new Error('no request is made while listing routes');
        },
        store: {} as PresenceStore,
        members: {} as ConversationMembers,
      },
    });
    const document = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, object> };
    const { undocumented, notServed } = compareRoutesWithDocument(app, document, NOT_IN_DOCUMENT);
    expect(undocumented, 'served but missing from /openapi.json').toEqual([]);
    expect(notServed, 'in /openapi.json but not served').toEqual([]);
    expect(Object.keys(document.paths)).toEqual(['/v1/presence/{username}']);
  });
});
