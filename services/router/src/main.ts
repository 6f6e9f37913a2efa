import './tracing';
import { Topics } from '@hub/domain';
import { WatchedIdentityDirectory } from '@hub/identity';
import { connected, runService, type HealthCheck } from '@hub/platform';
import { createLivePush } from '@hub/push';
import { createRouterApp } from './app';
import { loadRouterConfig } from './config';
import { createOutbound, type Outbound } from './outbound/outbound';
import { createOutboundRecords } from './outbound/outbound-records';
import { notifySettings } from './notify/notify-settings';
import { createNotifyWorker } from './notify/notify-worker';
import { ChannelHandOverRouter } from './ports/hand-over';
import { createRetryWorker } from './retry/retry-worker';
import { createRouteWorker } from './route/route-worker';
import { createStatusWorker } from './status/status-worker';
import { RetrySweeper } from './sweep/retry-sweeper';
import { workerNeeds, type RouterWorker, type RouterWorkerName } from './workers';

await runService({
  name: 'router',
  loadConfig: loadRouterConfig,
  // Only what the chosen workers use is connected, and so health-checked.
  needs: (config) => {
    const needs = workerNeeds(config.ROUTER_WORKERS);
    return {
      kafka: { config, producer: needs.producer, topics: Object.values(Topics).map((topic) => ({ topic })) },
      mongo: config,
      ...(needs.etcd ? { etcd: config } : {}),
      ...(needs.redis ? { redis: config } : {}),
      ...(needs.outbound && config.S3_ENDPOINT && config.S3_ACCESS_KEY && config.S3_SECRET_KEY
        ? {
            s3: {
              S3_ENDPOINT: config.S3_ENDPOINT,
              S3_ACCESS_KEY: config.S3_ACCESS_KEY,
              S3_SECRET_KEY: config.S3_SECRET_KEY,
              S3_REGION: config.S3_REGION ?? 'us-east-1',
              S3_BUCKET: config.S3_BUCKET ?? 'hub-files',
              ...(config.S3_PUBLIC_ENDPOINT ? { S3_PUBLIC_ENDPOINT: config.S3_PUBLIC_ENDPOINT } : {}),
            },
          }
        : {}),
    };
  },
  address: (config) => ({ host: config.ROUTER_HOST, port: config.ROUTER_PORT }),
  build: async ({ config, logger, registry, infra, isDraining }) => {
    const chosen = config.ROUTER_WORKERS;
    const needs = workerNeeds(chosen);
    const kafka = infra.kafka;
    const db = infra.mongo.db;
    const workers = new Map<RouterWorkerName, RouterWorker>();
    // Mappings for external delivery come from the watched identity cache, never from etcd per message.
    const directory = needs.outbound ? new WatchedIdentityDirectory(connected(infra.etcd, 'etcd'), logger) : undefined;
    let outbound: Outbound | undefined;
    if (directory) {
      // The client already prefixes keys with REDIS_KEY_PREFIX.
      outbound = await createOutbound({
        config,
        publisher: connected(infra.producer, 'the Kafka producer'),
        db,
        directory,
        logger,
        registry,
        redis: infra.redis,
        redisKeyPrefix: '',
        ...(infra.s3 ? { objects: infra.s3 } : {}),
      });
    }
    if (chosen.includes('route')) {
      // Channels without a ChannelHandOver registered here leave their recipients `pending`.
      // `internal`: WebSocket users, through their presence nodes' channels (offline ones stay pending).
      const internal = createLivePush({
        redis: connected(infra.redis, 'redis'),
        redisSub: connected(infra.redisSub, 'redis (subscriber)'),
        keyPrefix: config.REDIS_KEY_PREFIX,
        logger,
      });
      const external = outbound!.handOver;
      const handOver = new ChannelHandOverRouter({
        internal,
        telegram: external,
        whatsapp: external,
        instagram: external,
        messenger: external,
      });
      workers.set(
        'route',
        createRouteWorker({
          kafka,
          publisher: connected(infra.producer, 'the Kafka producer'),
          db,
          logger,
          registry,
          handOver,
          settings: {
            partitionConcurrency: config.ROUTER_PARTITION_CONCURRENCY,
            sequenceCacheSize: config.ROUTER_SEQUENCE_CACHE_SIZE,
            writeGroups: config.ROUTER_WRITE_GROUPS,
          },
        }),
      );
    }
    if (chosen.includes('retry'))
      workers.set(
        'retry',
        createRetryWorker({
          kafka,
          publisher: connected(infra.producer, 'the Kafka producer'),
          outbound: outbound!,
          config,
          logger,
          registry,
        }),
      );
    if (chosen.includes('sweep')) {
      const records = outbound ?? (await createOutboundRecords(db, connected(infra.producer, 'the Kafka producer')));
      workers.set(
        'sweep',
        new RetrySweeper({
          ledger: records.ledger,
          scheduler: records.scheduler,
          logger: logger.child({ worker: 'sweep' }),
          intervalMs: config.OUTBOUND_SWEEP_INTERVAL_MS,
          graceMs: config.OUTBOUND_SWEEP_GRACE_MS,
        }),
      );
    }
    if (chosen.includes('status'))
      workers.set(
        'status',
        createStatusWorker({
          kafka,
          publisher: connected(infra.producer, 'the Kafka producer'),
          db,
          logger,
          registry,
          settings: { partitionConcurrency: config.ROUTER_PARTITION_CONCURRENCY, writeGroups: config.ROUTER_WRITE_GROUPS },
        }),
      );
    const settings = chosen.includes('notify') ? notifySettings(config) : undefined;
    if (settings)
      workers.set('notify', createNotifyWorker({ infra: { ...infra, etcd: connected(infra.etcd, 'etcd') }, logger, registry, settings }));

    // Readiness names each worker this process runs: failing until it consumes, and again once it stops.
    const started = new Set<RouterWorkerName>();
    const checks: HealthCheck[] = [...workers.keys()].map((name) => ({
      name: `worker:${name}`,
      check: async () => {
        if (!started.has(name)) throw new Error(`the ${name} worker is not running`);
      },
    }));
    return {
      app: createRouterApp({ logger, registry, checks: [...infra.checks, ...checks], isDraining }),
      // ROUTER_PORT may be 0 (tests): the port actually bound is the hub's too.
      attach: (server) => settings?.reserved?.addListening(server, 'router service (ROUTER_PORT)'),
      start: async () => {
        await directory?.ready();
        for (const [name, worker] of workers) {
          await worker.start();
          started.add(name);
        }
        logger.info({ workers: [...workers.keys()] }, 'router workers started');
      },
      stop: async () => {
        started.clear();
        // Consumers of the pipeline first (they may hand deliveries to the outbound parts), then retries and sweeps.
        const running = (names: readonly RouterWorkerName[]) => names.flatMap((n) => workers.get(n) ?? []);
        await Promise.all(running(['route', 'status', 'notify']).map((w) => w.stop()));
        await Promise.all(running(['retry', 'sweep']).map((w) => w.stop()));
        await outbound?.close();
        await directory?.stop();
      },
    };
  },
});
