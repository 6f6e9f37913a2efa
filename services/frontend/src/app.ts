import type { Hono } from 'hono';
import { mountApiReference } from './api-reference/api-reference.routes';
import { authRoutes, channelsRoutes, clientsRoutes, type IdentityDeps } from './identity/index';
import { webhooksRoutes, type WebhooksDeps } from './webhooks/index';
import { dlqRoutes, type DlqDeps } from './dlq/index';
import { conversationsRoutes, messagesRoutes, type MessagesDeps } from './messages/index';
import { telegramLinkRoutes, telegramWebhookRoutes, type TelegramDeps } from './telegram/index';
import {
  buildOpenApiDocument,
  createOpenApiRegistry,
  createServiceApp,
  type HealthCheck,
  type HubEnv,
  type Logger,
  type OpenAPIRegistry,
  type Registry,
  type CorsPolicy,
} from '@hub/platform';

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
 * in-process. Each feature's route group (routes defined with their OpenAPI
 * entries) is mounted here; its own document is served beside the hub's
 * merged one (api-reference/).
 */
export function createFrontendApp(deps: FrontendDeps): Hono<HubEnv> {
  const app = createServiceApp({
    service: 'frontend',
    logger: deps.logger,
    registry: deps.registry,
    checks: deps.checks,
    isDraining: deps.isDraining,
    cors: deps.cors,
  });
  const openapi: OpenAPIRegistry = createOpenApiRegistry();
  if (deps.identity) {
    authRoutes(deps.identity, openapi).mountOn(app);
    clientsRoutes(deps.identity, openapi).mountOn(app);
    channelsRoutes(deps.identity, openapi).mountOn(app);
  }
  if (deps.webhooks) webhooksRoutes(deps.webhooks, openapi).mountOn(app);
  if (deps.dlq) dlqRoutes(deps.dlq, openapi).mountOn(app);
  if (deps.telegram) {
    telegramWebhookRoutes(deps.telegram, openapi).mountOn(app);
    telegramLinkRoutes(deps.telegram, openapi).mountOn(app);
  }
  if (deps.messages) {
    conversationsRoutes(deps.messages, openapi).mountOn(app);
    messagesRoutes(deps.messages, openapi).mountOn(app);
  }

  // The frontend's own document; /openapi.json is the hub's merged one (api-reference/).
  let document: object | undefined;
  mountApiReference(app, () => (document ??= buildOpenApiDocument(openapi, { title: 'Messaging hub frontend API', version: '1' })));
  return app;
}
