import './tracing';
import type { MiddlewareHandler } from 'hono';
import { Topics } from '@hub/domain';
import { createAuthStack, WatchedIdentityDirectory } from '@hub/identity';
import { RedisRateLimiter, RedisSessionRevocations } from '@hub/identity/adapters';
import { AccessTokens, ensureIndexes, runService } from '@hub/platform';
import { MongoConversationStore } from '@hub/messages/adapters';
import { ConversationStoreMembers } from './adapters/conversation-store-members';
import { filesIndexes, MongoFileRepository } from './adapters/mongo-file-repository';
import { createFilesApp } from './app';
import { loadFilesConfig } from './config';
import { ContentTypePolicy } from './content-type-policy';
import { FileService } from './file-service';
import { createFilesMetrics } from './files-metrics';
import { filesSchemas } from './files.schemas';
import { Housekeeping } from './housekeeping';

await runService({
  name: 'files',
  loadConfig: loadFilesConfig,
  needs: (config) => ({
    kafka: { config, producer: true, topics: [{ topic: Topics.files }] },
    mongo: config,
    etcd: config,
    redis: config,
    s3: config,
  }),
  address: (config) => ({ host: config.FILES_HOST, port: config.FILES_PORT }),
  build: async ({ config, logger, registry, infra, isDraining }) => {
    const db = infra.mongo.db;
    await ensureIndexes(db, filesIndexes);
    const limits = {
      maxSize: config.FILES_MAX_SIZE_BYTES,
      multipartThreshold: config.FILES_MULTIPART_THRESHOLD_BYTES,
      partSize: config.FILES_PART_SIZE_BYTES,
      uploadUrlTtlS: config.FILES_UPLOAD_URL_TTL_S,
      downloadUrlTtlS: config.FILES_DOWNLOAD_URL_TTL_S,
    };
    const metrics = createFilesMetrics(registry);
    const files = new MongoFileRepository(db);
    const service = new FileService({
      files,
      objects: infra.s3,
      // Members are fixed at creation (the store's contract), but a lookup is one _id read: no cache needed at upload rates.
      conversations: new ConversationStoreMembers(new MongoConversationStore(db)),
      events: infra.producer,
      logger,
      metrics,
      limits,
    });
    const housekeeping = new Housekeeping({
      files,
      objects: infra.s3,
      service,
      logger,
      metrics,
      abandonedAfterMs: config.FILES_ABANDONED_UPLOAD_TTL_S * 1000,
      intervalMs: config.FILES_HOUSEKEEPING_INTERVAL_MS,
    });
    // The hub's shared request stack: token, revocation, API client still registered, per-caller rate limit.
    const directory = new WatchedIdentityDirectory(infra.etcd, logger);
    await directory.ready();
    const authStack = createAuthStack({
      tokens: new AccessTokens({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, accessTtlSeconds: config.ACCESS_TOKEN_TTL_S }),
      revocations: new RedisSessionRevocations(infra.redis, config.ACCESS_TOKEN_TTL_S * 1000),
      clients: directory,
      // The same bucket as the frontend's: one request budget per caller across the hub's REST API.
      rateLimiter: new RedisRateLimiter(infra.redis, { name: 'api', windowSeconds: 60 }),
      defaultLimitPerMin: config.RATE_LIMIT_PER_MIN,
      tokenCacheSize: config.TOKEN_CACHE_SIZE,
    });
    const app = createFilesApp({
      logger,
      registry,
      checks: infra.checks,
      isDraining,
      cors: { allowedOrigins: config.CORS_ALLOWED_ORIGINS },
      service,
      schemas: filesSchemas(limits, new ContentTypePolicy(config.FILES_ALLOWED_CONTENT_TYPES, config.FILES_DENIED_CONTENT_TYPES)),
      authenticate: authStack.middleware as MiddlewareHandler,
      maxBodyBytes: config.FILES_MAX_BODY_BYTES,
    });
    return {
      app,
      start: async () => housekeeping.start(),
      stop: async () => {
        await housekeeping.stop();
        await directory.stop();
      },
    };
  },
});
