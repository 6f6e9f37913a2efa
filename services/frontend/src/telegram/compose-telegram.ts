import { createHmac } from 'node:crypto';
import { ConnectorMetrics, FlexibleRateLimiter, ResilientConnector, TelegramConnector } from '@hub/connectors';
import { MongoOutboundLedger } from '@hub/outbound/adapters';
import { EtcdKeys } from '@hub/domain';
import { AccessTokens, ConfigError, RedisExpiringStore, type InfraWith, type Logger, type Registry } from '@hub/platform';
import type { IdentityDeps } from '../identity/index';
import type { MessagesDeps } from '../messages/index';
import { FilesApiInboundFiles } from './adapters/files-api-inbound-files';
import { LedgerReplyTargets } from './ledger-reply-targets';
import { TelegramLinkCodes } from './link-codes';
import { PipelineMessageAcceptor } from './pipeline-acceptor';
import { TelegramBridge } from './telegram-bridge';
import type { TelegramBridgeConfig } from './telegram-bridge-config';
import type { TelegramDeps } from './telegram-deps';

/**
 * Builds the Telegram bridge once at boot (called from main.ts); undefined
 * when TELEGRAM_BOT_TOKEN is not set. Replies to Telegram users go through
 * the same resilience wrapper (breaker, rate limits shared in Redis) as the
 * router's deliveries.
 */
export async function composeTelegram(
  config: TelegramBridgeConfig & { JWT_SECRET: string; JWT_ISSUER: string; ACCESS_TOKEN_TTL_S: number },
  infra: InfraWith<'redis' | 'mongo'>,
  identity: IdentityDeps,
  messages: MessagesDeps,
  registry: Registry,
  logger: Logger,
): Promise<TelegramDeps | undefined> {
  const token = config.TELEGRAM_BOT_TOKEN;
  if (!token) return undefined;
  if (!config.TELEGRAM_WEBHOOK_SECRET)
    throw new ConfigError([
      'TELEGRAM_WEBHOOK_SECRET is missing: the Telegram bridge needs it to verify webhook calls (set it together with TELEGRAM_BOT_TOKEN)',
    ]);
  const log = logger.child({ component: 'telegram-bridge' });

  const telegram = new TelegramConnector({
    token,
    apiRoot: config.TELEGRAM_API_ROOT,
    requestTimeoutSeconds: Math.ceil(config.CONNECTOR_TIMEOUT_MS / 1000) + 5,
  });
  const replies = new ResilientConnector(
    telegram,
    {
      timeoutMs: config.CONNECTOR_TIMEOUT_MS,
      maxRateWaitMs: 1_000,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 10_000, resetTimeoutMs: 5_000 },
      rateLimiter: new FlexibleRateLimiter(
        'telegram',
        {
          overall: { points: config.TELEGRAM_RATE_PER_S, durationMs: 1_000 },
          perRecipient: { points: config.TELEGRAM_RATE_PER_CHAT_PER_S, durationMs: 1_000 },
        },
        { kind: 'redis', client: infra.redis, keyPrefix: '' },
      ),
    },
    { metrics: ConnectorMetrics.for(registry), logger: log },
  );
  const store = new RedisExpiringStore(infra.redis);
  // Derived, so no further secret has to be configured; rotating JWT_SECRET invalidates open link codes, which only live minutes.
  const linkSecret = createHmac('sha256', config.JWT_SECRET).update('telegram-link-codes').digest('base64url');
  const linkCodes = new TelegramLinkCodes(store, linkSecret, config.TELEGRAM_LINK_CODE_TTL_S * 1000);
  const peer = config.TELEGRAM_BRIDGE_PEER;
  const targets = new LedgerReplyTargets(
    new MongoOutboundLedger(infra.mongo.db),
    peer
      ? {
          username: peer,
          ensureDirect: async (a, b, id) => {
            await messages.conversations.create({
              conversation_id: id,
              type: 'direct',
              members: [a, b].sort(),
              created_at: new Date().toISOString(),
              created_by: 'bridge:telegram',
            });
          },
        }
      : undefined,
  );
  const bridge = new TelegramBridge({
    parse: (body) => telegram.parseInbound(body),
    reply: async (chatId, text) => {
      const r = await replies.deliver({ to: chatId, text });
      if (r.outcome !== 'delivered')
        log.warn({ chat_id: chatId, outcome: r.outcome, reason: r.reason, error: r.error }, 'reply to a Telegram chat not sent');
    },
    linkCodes,
    link: async (username, chatId) => {
      const result = await identity.mappings.link(username, 'telegram', chatId);
      if (!result.ok) return { ok: false };
      // This instance answers from its cache at once; the others see the etcd watch.
      identity.directory.apply({ type: 'put', key: EtcdKeys.mapping(username, 'telegram'), value: result.mapping });
      identity.directory.apply({ type: 'put', key: EtcdKeys.channelIndex('telegram', chatId), value: { username } });
      return { ok: true, mapping: result.mapping };
    },
    userOfChat: (chatId) => identity.directory.findUserByExternalId('telegram', chatId),
    targets,
    acceptor: new PipelineMessageAcceptor(messages.accept),
    ...(config.FILES_API_URL
      ? {
          files: new FilesApiInboundFiles({
            filesUrl: config.FILES_API_URL.replace(/\/+$/, ''),
            tokens: new AccessTokens({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, accessTtlSeconds: config.ACCESS_TOKEN_TTL_S }),
            // The Bot API lets bots download files up to 20 MB.
            maxBytes: 20 * 1024 * 1024,
          }),
          downloadFile: (fileId: string) => telegram.downloadFile(fileId),
        }
      : {}),
    seen: store,
    botId: token.split(':')[0]!,
    hubName: 'the hub',
    logger: log,
  });

  if (config.TELEGRAM_WEBHOOK_URL) {
    await telegram.setWebhook(config.TELEGRAM_WEBHOOK_URL, config.TELEGRAM_WEBHOOK_SECRET).then(
      () => log.info({ url: config.TELEGRAM_WEBHOOK_URL }, 'telegram webhook registered'),
      (err: unknown) =>
        log.warn(
          { err: { message: (err as Error).message } },
          'could not register the telegram webhook; updates will not arrive until it is set',
        ),
    );
  }
  const configured = config.TELEGRAM_BOT_USERNAME;
  return {
    bridge,
    linkCodes,
    webhookSecret: config.TELEGRAM_WEBHOOK_SECRET,
    maxWebhookBytes: config.TELEGRAM_WEBHOOK_MAX_BYTES,
    botUsername: () => (configured ? Promise.resolve(configured) : telegram.botUsername()),
    userExists: messages.userExists,
    authenticate: identity.authStack.middleware,
    logger: log,
  };
}
