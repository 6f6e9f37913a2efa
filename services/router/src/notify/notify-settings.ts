import { allowHttpWebhooks, reservedPortsFromConfig, webhookSecretCodec } from '@hub/webhooks';
import type { RouterConfig } from '../config';
import type { NotifySettings } from './notify-worker';

/** The notify worker's settings from the router's validated config. */
export function notifySettings(config: RouterConfig): NotifySettings {
  return {
    allowHttp: allowHttpWebhooks(config),
    allowedCidrs: config.WEBHOOK_ALLOWED_CIDRS,
    reserved: reservedPortsFromConfig(config),
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    retry: { delaysMs: config.WEBHOOK_RETRY_SCHEDULE_MS, jitter: config.WEBHOOK_RETRY_JITTER },
    disableAfterMs: config.WEBHOOK_DISABLE_AFTER_MS,
    responseMaxBytes: config.WEBHOOK_RESPONSE_MAX_BYTES,
    maxInFlight: config.WEBHOOK_MAX_IN_FLIGHT,
    maxInFlightPerEndpoint: config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
    maxHeld: config.WEBHOOK_MAX_HELD,
    pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
    recoveryIntervalMs: config.WEBHOOK_RECOVERY_INTERVAL_MS,
    retentionMs: config.WEBHOOK_DELIVERY_RETENTION_DAYS * 86_400_000,
    // Half the shutdown budget for calls in flight; the rest is for committing and closing clients.
    drainMs: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 2),
    reorderWindowMs: config.WEBHOOK_REORDER_WINDOW_MS,
    secrets: webhookSecretCodec(config),
  };
}
