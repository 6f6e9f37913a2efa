import type { MiddlewareHandler } from 'hono';
import type { FileCatalog } from '@hub/domain';
import { RedisRateLimiter } from '@hub/identity/adapters';
import { CachedAcceptances, CachedConversationLookup, MessageAccept, pipelineIndexes } from '@hub/messages';
import {
  MongoConversationAcceptances,
  RedisMessageIdClaims,
  messageStoreFor,
  MongoConversationStore,
  MongoStatusStore,
} from '@hub/messages/adapters';
import { ensureIndexes, Histogram, LATENCY_BUCKETS, type AuthVariables, type InfraWith, type Logger, type Registry } from '@hub/platform';
import { deliveryId } from '@hub/outbound';
import { MongoOutboundLedger } from '@hub/outbound/adapters';
import { MongoWebhookDeliveryStore } from '@hub/webhooks/adapters';
import type { FrontendConfig } from '../config';
import type { IdentityDeps } from '../identity/index';
import type { MessagesDeps } from './messages-deps';

/**
 * Builds conversations, the accept path and the read side once at boot
 * (called from main.ts). The same MessageAccept serves REST here and is
 * what other intake paths (the Telegram bridge) are given.
 */
export async function composeMessages(
  config: Pick<
    FrontendConfig,
    | 'MAX_BODY_BYTES'
    | 'CONVERSATION_CACHE_SIZE'
    | 'ACCEPT_RETRY_AFTER_S'
    | 'UNKNOWN_MEMBER_LIMIT'
    | 'UNKNOWN_MEMBER_WINDOW_S'
    | 'MESSAGE_ID_CLAIM_TTL_S'
  >,
  infra: InfraWith<'mongo' | 'producer' | 'redis'>,
  identity: IdentityDeps,
  registry: Registry,
  logger: Logger,
  files?: FileCatalog,
): Promise<MessagesDeps> {
  const db = infra.mongo.db;
  await ensureIndexes(db, pipelineIndexes);
  const conversations = new MongoConversationStore(db);
  const lookup = new CachedConversationLookup(conversations, config.CONVERSATION_CACHE_SIZE);
  const claims = new RedisMessageIdClaims(infra.redis, config.MESSAGE_ID_CLAIM_TTL_S * 1000);
  const store = messageStoreFor(infra.mongo);
  const statuses = new MongoStatusStore(db);
  const ledger = new MongoOutboundLedger(db);
  const accept = new MessageAccept({
    conversations: lookup,
    publisher: infra.producer,
    claims,
    messages: store,
    registry,
    retryAfterS: config.ACCEPT_RETRY_AFTER_S,
    ...(files ? { files } : {}),
  });
  return {
    auth: identity.authStack.middleware as MiddlewareHandler<{ Variables: AuthVariables }>,
    accept,
    conversations,
    lookup,
    acceptances: new CachedAcceptances(new MongoConversationAcceptances(db), config.CONVERSATION_CACHE_SIZE),
    unknownMembers: {
      limiter: new RedisRateLimiter(infra.redis, { name: 'unknown-member', windowSeconds: config.UNKNOWN_MEMBER_WINDOW_S }),
      limit: config.UNKNOWN_MEMBER_LIMIT,
    },
    messages: store,
    statuses,
    timeline: {
      statuses,
      outbound: (messageId, recipient, channel) => ledger.get(deliveryId(messageId, recipient, channel), { withMessage: false }),
      webhooks: new MongoWebhookDeliveryStore(db),
    },
    userExists: async (username) => Boolean(identity.directory.getUser(username) ?? (await identity.users.get(username))),
    maxBodyBytes: config.MAX_BODY_BYTES,
    acceptLatency: new Histogram({
      name: 'hub_message_accept_seconds',
      help: 'POST /v1/messages from request to answer, by outcome (accepted or the HTTP status)',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    logger,
  };
}
