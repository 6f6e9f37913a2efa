// Webhook registrations, signing, payloads, URL vetting and the delivery-store port.
// MongoDB adapter: '@hub/webhooks/adapters'.
export {
  eventTypeForStatus,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  ALL_EVENTS,
  PING_EVENT,
  type EventFilter,
  EventFilterSchema,
} from './events';
export { publicWebhook, signingSecrets, isDeliverable, ownerOfSubmitter, type WebhookRecord, type WebhookView } from './registration';
export { SecretBoxError, SecretBox, WebhookSecretCodec } from './secret-box';
export { signPayload, type SignedHeaders } from './signing';
export { statusPayload, filePayload, pingPayload, eventIdOf, type WebhookPayload, type MessageStatusData } from './payloads';
export { maxAttempts, nextRetryDelay, parseRetrySchedule, type RetryPolicy, DEFAULT_RETRY_SCHEDULE_MS } from './retry-schedule';
export {
  publicWebhookDelivery,
  newWebhookDeliveryRecord,
  type WebhookDeliveryState,
  type AttemptRecord,
  type NewWebhookDelivery,
  type WebhookDeliveryRecord,
  type WebhookDeliveryView,
} from './webhook-deliveries';
export {
  webhookSecretCodec,
  allowHttpWebhooks,
  webhookPolicyConfigSchema,
  webhookDispatchConfigSchema,
  webhookApiConfigSchema,
} from './config';
export { type NewWebhook, ConcurrentUpdateError, WebhooksRepository } from './webhooks.repository';
export { type WebhookRegistrations, WatchedWebhooks } from './watched-webhooks';
export { type SendRequest, type AttemptOutcome, type SenderSettings, WebhookSender } from './webhook-sender';
export { pinnedPost, type PinnedPostOptions, type PinnedResponse, WebhookRequestError } from './http/pinned-post';
export { type AddressVerdict, AddressPolicy } from './ssrf/address-policy';
export { type ResolvedAddress, type HostResolver, SystemHostResolver } from './ssrf/host-resolver';
export {
  checkWebhookUrl,
  type UrlRules,
  MAX_URL_LENGTH,
  type UrlCheck,
  type VettedTarget,
  type VetResult,
  TargetVetter,
} from './ssrf/url-policy';
export type { WebhookDeliveryListQuery, AttemptRequest, WebhookDeliveryStore } from './ports/webhook-delivery-store';
export type { PortRange, AllowEntry } from './ssrf/allow-list';
export { reservedPortsFromConfig, type HubEndpointsConfig, ReservedPorts } from './ssrf/reserved-ports';
