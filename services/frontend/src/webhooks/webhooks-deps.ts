import type { MiddlewareHandler } from 'hono';
import type { AuthVariables, Logger } from '@hub/platform';
import type { WebhookDeliveryStore, TargetVetter, WebhooksRepository } from '@hub/webhooks';

/** Everything the /v1/webhooks routes need, built once at boot (compose-webhooks.ts). */
export interface WebhooksDeps {
  /** The shared authenticated-request stack (token → principal → rate limit). */
  auth: MiddlewareHandler<{ Variables: AuthVariables }>;
  repo: WebhooksRepository;
  deliveries: WebhookDeliveryStore;
  /** The same URL and address rules the dispatcher applies before every call. */
  vetter: TargetVetter;
  defaultGraceMs: number;
  maxPerClient: number;
  maxBodyBytes: number;
  logger: Logger;
}
