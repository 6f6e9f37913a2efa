// Channel connectors (Telegram and the mocks), the port they implement, their errors and the resilience
// wrapper (breaker, rate limit, metrics). Built by composition roots and the router's outbound worker.
export {
  type ConnectorCapabilities,
  type FileCapabilities,
  type OutboundText,
  type OutboundFile,
  type SendOptions,
  type SentMessage,
  type ExternalSender,
  type InboundEvent,
  type InboundFileRef,
  InboundParseError,
  type Connector,
  type DeliveryResult,
  type RetryReason,
} from './connector';
export { redact, ProviderRateLimitedError } from './errors';
export { enabledChannels, connectorsConfigSchema, type ConnectorsConfig } from './config';
export { buildConnectors, type ConnectorRegistryDeps, ConnectorRegistry } from './registry';
export { type BreakerState, BREAKER_STATE_VALUE, ConnectorMetrics } from './resilience/connector-metrics';
export {
  type Rate,
  type Admission,
  type ConnectorRateLimiter,
  type RateLimitPolicy,
  type RateLimitStore,
  FlexibleRateLimiter,
} from './resilience/rate-limiter';
export { type BreakerSettings, type ResilienceSettings, type ConnectorLogger, ResilientConnector } from './resilience/resilient-connector';
export { type TelegramConnectorOptions, TelegramConnector } from './telegram/telegram.connector';
export { toDeliveryError } from './telegram/telegram-errors';
export { parseTelegramUpdate } from './telegram/telegram-updates';
export { type MockBehaviour, type MockSentRecord, type MockChannelProfile, MockConnector } from './mocks/mock.connector';
export { createWhatsAppMock, whatsappProfile } from './mocks/whatsapp.mock';
export { createMessengerMock, messengerProfile } from './mocks/messenger.mock';
export { createInstagramMock, instagramProfile } from './mocks/instagram.mock';
