import type { Hono } from 'hono';
import { mountApiReference } from './api-reference/api-reference.routes';
import { authRoutes, channelsRoutes, clientsRoutes, type IdentityDeps } from './identity/index';
import { webhooksRoutes, type WebhooksDeps } from './webhooks/index';
import { dlqRoutes, type DlqDeps } from './dlq/index';
import { conversationsRoutes, messagesRoutes, type MessagesDeps } from './messages/index';
import { telegramLinkRoutes, telegramWebhookRoutes, type TelegramDeps } from './telegram/index';
import { buildOpenApiDocument, createOpenApiRegistry, createServiceApp, type HealthCheck, type HubEnv, type Logger, type OpenAPIRegistry, type Registry, type CorsPolicy } from '@hub/platform';

export interface FrontendDeps {
  logger: Logger;
  registry: Registry;
  checks: HealthCheck[];
  isDraining: () => boolean;
  /** Browser access from other origins (CORS_ALLOWED_ORIGINS). */
  cors?: CorsPolicy;
  /** Auth, API clients and channel mappings; `identity.authStack.middleware` authenticates, checks and rate-limits any /v1 route. */
  identity?: IdentityDeps;
  /** Webhook registrations, delivery log and re-sends (/v1/webhooks). */
  webhooks?: WebhooksDeps;
  /** Dead-lettered external deliveries: list and replay (/v1/dlq, admin). */
  dlq?: DlqDeps;
  /** Conversations, the message accept path, status and history (/v1/conversations, /v1/messages). */
  messages?: MessagesDeps;
  /** The Telegram bridge: its webhook and account link codes (only with TELEGRAM_BOT_TOKEN). */
  telegram?: TelegramDeps;
}

/**
 * The REST API (`/v1`), built apart from listening so tests can call it
 * in-process. Each feature mounts its routes here and registers its
 * operations in the OpenAPI registry (its own document; /openapi.json is
 * the hub's merged one, see api-reference/).
 */
export function createFrontendApp(deps: FrontendDeps): Hono<HubEnv> {
  const app = createServiceApp({ service: 'frontend', logger: deps.logger, registry: deps.registry, checks: deps.checks, isDraining: deps.isDraining, cors: deps.cors });
  const openapi: OpenAPIRegistry = createOpenApiRegistry();
  if (deps.identity) {
    app.route('/v1/auth', authRoutes(deps.identity, openapi));
    app.route('/v1/clients', clientsRoutes(deps.identity, openapi));
    app.route('/v1/users', channelsRoutes(deps.identity, openapi));
  }
  if (deps.webhooks) app.route('/v1/webhooks', webhooksRoutes(deps.webhooks, openapi));
  if (deps.dlq) app.route('/v1/dlq', dlqRoutes(deps.dlq, openapi));
  if (deps.telegram) {
    app.route('/v1/connectors/telegram', telegramWebhookRoutes(deps.telegram, openapi));
    app.route('/v1/users', telegramLinkRoutes(deps.telegram, openapi));
  }
  if (deps.messages) {
    app.route('/v1/conversations', conversationsRoutes(deps.messages, openapi));
    app.route('/v1/messages', messagesRoutes(deps.messages, openapi));
  }

  let document: object | undefined;
  mountApiReference(app, () => (document ??= buildOpenApiDocument(openapi, { title: 'Messaging hub frontend API', version: '1' })));
  return app;
}
