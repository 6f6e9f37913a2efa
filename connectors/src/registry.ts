import type { ExternalChannel } from '@hub/domain';
import type { Registry } from 'prom-client';
import type { Connector } from './connector';
import { enabledChannels, type ConnectorsConfig } from './config';
import { createInstagramMock } from './mocks/instagram.mock';
import { createMessengerMock } from './mocks/messenger.mock';
import { createWhatsAppMock } from './mocks/whatsapp.mock';
import { ConnectorMetrics } from './resilience/connector-metrics';
import { FlexibleRateLimiter, type RateLimitPolicy, type RateLimitStore } from './resilience/rate-limiter';
import { ResilientConnector, type ConnectorLogger } from './resilience/resilient-connector';
import { TelegramConnector } from './telegram/telegram.connector';

export interface ConnectorRegistryDeps {
  registry?: Registry;
  logger?: ConnectorLogger;
  /** Shared counters (Redis) when several workers send for one bot; memory otherwise. */
  rateLimitStore?: RateLimitStore;
}

/** The enabled connectors of one process, each behind its own resilience wrapper. */
export class ConnectorRegistry {
  constructor(private readonly connectors: Map<ExternalChannel, ResilientConnector>) {}

  get(channel: ExternalChannel): ResilientConnector | undefined {
    return this.connectors.get(channel);
  }

  channels(): ExternalChannel[] {
    return [...this.connectors.keys()];
  }

  all(): ResilientConnector[] {
    return [...this.connectors.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((c) => c.close()));
  }
}

/** Builds the connectors CONNECTORS_ENABLED asks for; fails at boot when Telegram is enabled without a token. */
export function buildConnectors(config: ConnectorsConfig, deps: ConnectorRegistryDeps = {}): ConnectorRegistry {
  const metrics = deps.registry ? ConnectorMetrics.for(deps.registry) : undefined;
  const map = new Map<ExternalChannel, ResilientConnector>();
  enabledChannels(config).forEach((channel, i) => {
    const { connector, policy } = create(channel, config, i);
    const rateLimiter = policy ? new FlexibleRateLimiter(channel, policy, deps.rateLimitStore) : undefined;
    map.set(
      channel,
      new ResilientConnector(
        connector,
        {
          timeoutMs: config.CONNECTOR_TIMEOUT_MS,
          maxRateWaitMs: config.CONNECTOR_RATE_MAX_WAIT_MS,
          breaker: {
            errorThresholdPercentage: config.CONNECTOR_BREAKER_ERROR_PERCENT,
            volumeThreshold: config.CONNECTOR_BREAKER_VOLUME_THRESHOLD,
            rollingWindowMs: config.CONNECTOR_BREAKER_WINDOW_MS,
            resetTimeoutMs: config.CONNECTOR_BREAKER_RESET_MS,
          },
          ...(rateLimiter ? { rateLimiter } : {}),
        },
        { ...(metrics ? { metrics } : {}), ...(deps.logger ? { logger: deps.logger } : {}) },
      ),
    );
  });
  return new ConnectorRegistry(map);
}

function create(channel: ExternalChannel, config: ConnectorsConfig, index: number): { connector: Connector; policy?: RateLimitPolicy } {
  if (channel === 'telegram') {
    if (!config.TELEGRAM_BOT_TOKEN) throw new Error('CONNECTORS_ENABLED includes telegram but TELEGRAM_BOT_TOKEN is not set');
    return {
      connector: new TelegramConnector({
        token: config.TELEGRAM_BOT_TOKEN,
        apiRoot: config.TELEGRAM_API_ROOT,
        maxUrlBytes: config.TELEGRAM_MAX_URL_BYTES,
        maxUploadBytes: config.TELEGRAM_MAX_UPLOAD_BYTES,
        requestTimeoutSeconds: Math.ceil(config.CONNECTOR_TIMEOUT_MS / 1000) + 5,
      }),
      policy: {
        overall: { points: config.TELEGRAM_RATE_PER_S, durationMs: 1_000 },
        perRecipient: { points: config.TELEGRAM_RATE_PER_CHAT_PER_S, durationMs: 1_000 },
      },
    };
  }
  const behaviour = {
    latencyMs: config.MOCK_CONNECTOR_LATENCY_MS,
    failureRate: config.MOCK_CONNECTOR_FAILURE_RATE,
    permanentFailureRate: config.MOCK_CONNECTOR_PERMANENT_FAILURE_RATE,
    // Each mock draws its own sequence so their failures are not in lock-step.
    seed: config.MOCK_CONNECTOR_SEED + index,
  };
  const connector =
    channel === 'whatsapp'
      ? createWhatsAppMock(behaviour)
      : channel === 'instagram'
        ? createInstagramMock(behaviour)
        : createMessengerMock(behaviour);
  return {
    connector,
    ...(config.MOCK_CONNECTOR_RATE_PER_S > 0
      ? { policy: { overall: { points: config.MOCK_CONNECTOR_RATE_PER_S, durationMs: 1_000 } } }
      : {}),
  };
}
