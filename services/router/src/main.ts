import './tracing';
import { Topics } from '@hub/domain';
import { WatchedIdentityDirectory } from '@hub/identity';
import { runService } from '@hub/platform';
import { createLivePush } from '@hub/presence';
import { createRouterApp } from './app';
import { loadRouterConfig } from './config';
import { createOutbound } from './outbound';
import { notifySettings } from './notify/notify-settings';
import { createNotifyWorker } from './notify/notify-worker';
import { ChannelHandOverRouter } from './ports/hand-over';
import { createPipelineWorkers } from './route/pipeline-workers';

await runService({
  name: 'router',
  loadConfig: loadRouterConfig,
  needs: (config) => ({
    kafka: { config, producer: true, topics: Object.values(Topics).map((topic) => ({ topic })) },
    mongo: config,
    etcd: config,
    redis: config,
    ...(config.S3_ENDPOINT && config.S3_ACCESS_KEY && config.S3_SECRET_KEY
      ? { s3: { S3_ENDPOINT: config.S3_ENDPOINT, S3_ACCESS_KEY: config.S3_ACCESS_KEY, S3_SECRET_KEY: config.S3_SECRET_KEY, S3_REGION: config.S3_REGION ?? 'us-east-1', S3_BUCKET: config.S3_BUCKET ?? 'hub-files' } }
      : {}),
  }),
  address: (config) => ({ host: config.ROUTER_HOST, port: config.ROUTER_PORT }),
  build: async ({ config, logger, registry, infra, isDraining }) => {
    const settings = notifySettings(config);
    const notify = createNotifyWorker({ infra, logger, registry, settings });
    // Mappings for external delivery come from the watched identity cache, never from etcd per message.
    const directory = new WatchedIdentityDirectory(infra.etcd!, logger);
    const outbound = await createOutbound({
      config,
      kafka: infra.kafka!,
      publisher: infra.producer!,
      db: infra.mongo!.db,
      directory,
      logger,
      registry,
      // The client already prefixes keys with REDIS_KEY_PREFIX.
      redis: infra.redis,
      redisKeyPrefix: '',
      ...(infra.s3 ? { objects: infra.s3 } : {}),
    });
    // Channels without a ChannelHandOver registered here leave their recipients `pending`.
    // `internal`: WebSocket users, through their presence nodes' channels (offline ones stay pending).
    const internal = createLivePush({ redis: infra.redis!, redisSub: infra.redisSub!, keyPrefix: config.REDIS_KEY_PREFIX, logger });
    const handOver = new ChannelHandOverRouter({ internal, telegram: outbound.handOver, whatsapp: outbound.handOver, instagram: outbound.handOver, messenger: outbound.handOver });
    const pipeline = createPipelineWorkers({ infra, logger, registry, handOver, settings: { partitionConcurrency: config.ROUTER_PARTITION_CONCURRENCY, sequenceCacheSize: config.ROUTER_SEQUENCE_CACHE_SIZE, writeGroups: config.ROUTER_WRITE_GROUPS } });
    return {
      app: createRouterApp({ logger, registry, checks: infra.checks, isDraining }),
      // ROUTER_PORT may be 0 (tests): the port actually bound is the hub's too.
      attach: (server) => settings.reserved?.addListening(server, 'router service (ROUTER_PORT)'),
      start: async () => {
        await directory.ready();
        await pipeline.start();
        await notify.start();
        await outbound.start();
      },
      stop: async () => {
        await Promise.all([pipeline.stop(), notify.stop()]);
        await outbound.stop();
        await directory.stop();
      },
    };
  },
});
