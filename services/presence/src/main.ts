import './tracing';
import { ConsumerGroups, Topics } from '@hub/domain';
import type { MiddlewareHandler } from 'hono';
import { createAuthStack, WatchedIdentityDirectory } from '@hub/identity';
import { RedisRateLimiter, RedisSessionRevocations } from '@hub/identity/adapters';
import { Fanout, RedisNodeBus, RedisPresenceStore, type NodePush } from '@hub/push';
import { CachedAcceptances, CachedConversationLookup, MessageAccept } from '@hub/messages';
import {
  MongoFileCatalog,
  MongoConversationAcceptances,
  messageStoreFor,
  RedisMessageIdClaims,
  MongoConversationStore,
  MongoSequenceSlots,
} from '@hub/messages/adapters';
import { AccessTokens, EventConsumer, runService } from '@hub/platform';
import { MongoMemberships } from './adapters/mongo-memberships';
import { RedisRevocationFeed } from './adapters/redis-revocation-feed';
import { createPresenceApp } from './app';
import { StoreConversationMembers } from './conversation-members';
import { loadPresenceConfig } from './config';
import { connectionHooks } from './connection-hooks';
import { AcceptSubmitter } from './live/accept-submitter';
import { liveSessions } from './live/live-session';
import { PublishingStatusRecorder } from './live/publishing-status-recorder';
import { Receipts } from './live/receipts';
import { StatusRelay } from './live/status-relay';
import { PushTraces } from './live/push-traces';
import { PresenceTracker } from './presence-tracker';
import { TypingRelay } from './typing';
import { UserConversations } from './user-conversations';
import { Gateway } from './ws/gateway';
import { LocalConnections } from './ws/local-connections';

await runService({
  name: 'presence',
  loadConfig: loadPresenceConfig,
  needs: (config) => ({
    kafka: { config, producer: true, topics: Object.values(Topics).map((topic) => ({ topic })) },
    mongo: config,
    etcd: config,
    redis: config,
  }),
  address: (config) => ({ host: config.PRESENCE_HOST, port: config.PRESENCE_PORT }),
  build: async ({ config, logger, registry, infra, isDraining }) => {
    const node = config.PRESENCE_NODE_ID;
    const redis = infra.redis;
    // The hub's shared request stack (token, revocation, API client still registered, per-caller rate limit),
    // for the REST endpoint and the WebSocket handshake alike.
    const identity = new WatchedIdentityDirectory(infra.etcd, logger);
    await identity.ready();
    const authStack = createAuthStack({
      tokens: new AccessTokens({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, accessTtlSeconds: config.ACCESS_TOKEN_TTL_S }),
      revocations: new RedisSessionRevocations(redis, config.ACCESS_TOKEN_TTL_S * 1000),
      clients: identity,
      rateLimiter: new RedisRateLimiter(redis, { name: 'api', windowSeconds: 60 }),
      defaultLimitPerMin: config.RATE_LIMIT_PER_MIN,
      tokenCacheSize: config.TOKEN_CACHE_SIZE,
    });
    const store = new RedisPresenceStore(redis, { ttlMs: config.PRESENCE_TTL_MS });
    const bus = new RedisNodeBus(redis, infra.redisSub, config.REDIS_KEY_PREFIX, logger);
    const db = infra.mongo.db;
    const conversations = new MongoConversationStore(db);
    const lookup = new CachedConversationLookup(conversations, config.CONVERSATION_CACHE_SIZE);
    const members = new StoreConversationMembers(
      conversations,
      lookup,
      new CachedAcceptances(new MongoConversationAcceptances(db), config.CONVERSATION_CACHE_SIZE),
    );
    // The same accept path as POST /v1/messages, for WebSocket `send`.
    const history = messageStoreFor(infra.mongo);
    const accept = new MessageAccept({
      conversations: lookup,
      publisher: infra.producer,
      claims: new RedisMessageIdClaims(redis, config.MESSAGE_ID_CLAIM_TTL_S * 1000),
      messages: history,
      registry,
      retryAfterS: config.ACCEPT_RETRY_AFTER_S,
      files: new MongoFileCatalog(db),
    });
    const connections = new LocalConnections();
    const memberships = new MongoMemberships(db, new MongoSequenceSlots(db));
    const userConversations = new UserConversations(memberships, members);
    // The gateway is built below; this node's share of a fan-out reaches it only once it runs.
    const pushTraces = new PushTraces();
    const deliver = (push: NodePush) => pushTraces.deliver(push, (p) => gw.deliver(p));
    const fanout = new Fanout(store, bus, { node, deliver });
    const tracker = new PresenceTracker({
      node,
      store,
      peersOf: (user) => userConversations.peersOf(user),
      fanout,
      events: infra.producer,
      logger,
      ttlMs: config.PRESENCE_TTL_MS,
      liveConnections: () => connections.connections(),
    });
    const typing = new TypingRelay(members, fanout, config.TYPING_TTL_MS);
    const live = liveSessions({
      history,
      memberships,
      receipts: new Receipts({
        history,
        memberships,
        statuses: new PublishingStatusRecorder(infra.producer),
        pageSize: config.CATCH_UP_PAGE_SIZE,
      }),
      submitter: new AcceptSubmitter(accept),
      onNewConversation: (user, conversationId) => userConversations.add(user, conversationId),
      logger,
      pageSize: config.CATCH_UP_PAGE_SIZE,
      highWaterBytes: Math.floor(config.WS_SEND_BUFFER_BYTES / 2),
      pushTraces,
    });
    const gw = new Gateway({
      node,
      logger,
      registry,
      authenticate: authStack.authenticateToken,
      connections,
      settings: {
        heartbeatIntervalMs: config.WS_HEARTBEAT_INTERVAL_MS,
        heartbeatMisses: config.WS_HEARTBEAT_MISSES,
        maxFrameBytes: config.WS_MAX_FRAME_BYTES,
        sendBufferBytes: config.WS_SEND_BUFFER_BYTES,
        ratePerS: config.WS_RATE_PER_S,
        rateBurst: config.WS_RATE_BURST,
      },
      hooks: connectionHooks({ tracker, typing, conversations: userConversations, live }),
    });
    // Before listening: entries a previous process with this node id left behind are cleared (its users announced offline).
    await tracker.clearPrevious();
    const revocationFeed = new RedisRevocationFeed(infra.redisSub, config.REDIS_KEY_PREFIX);
    const unsubscribe: Array<() => Promise<void>> = [];
    // One group for all nodes: each status reaches the sender once, via whichever node consumed it.
    const statusConsumer = new EventConsumer(
      infra.kafka,
      { groupId: ConsumerGroups.presenceStatus, topics: [Topics.status], fromBeginning: false },
      logger,
    );
    const relay = new StatusRelay(fanout, logger);
    return {
      app: createPresenceApp({
        logger,
        registry,
        checks: infra.checks,
        isDraining,
        cors: { allowedOrigins: config.CORS_ALLOWED_ORIGINS },
        presence: { authenticate: authStack.middleware as MiddlewareHandler, store, members },
      }),
      attach: (server) => gw.attach(server),
      start: async () => {
        unsubscribe.push(await bus.subscribe(node, deliver));
        unsubscribe.push(await revocationFeed.subscribe((sessionId) => gw.revokeSession(sessionId)));
        tracker.start();
        await statusConsumer.start((records) => relay.handle(records));
        logger.info({ node, ttl_ms: config.PRESENCE_TTL_MS }, 'presence node started');
      },
      stop: async () => {
        // Sockets first (1001: reconnect elsewhere), their users announced offline, receipts written; then the consumers.
        await gw.stop();
        await tracker.stop();
        await memberships.flush();
        await statusConsumer.stop();
        for (const u of unsubscribe) await u();
        await identity.stop();
      },
    };
  },
});
