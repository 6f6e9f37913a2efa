import { Topics } from '@hub/domain';
import { runService } from '@hub/platform';
import { createRouterApp } from './app';
import { loadRouterConfig } from './config';
import { notifySettings } from './notify/notify-settings';
import { createNotifyWorker } from './notify/notify-worker';
import { ChannelDeliveryRouter } from './ports/delivery';
import { createPipelineWorkers } from './route/pipeline-workers';

await runService({
  name: 'router',
  loadConfig: loadRouterConfig,
  needs: (config) => ({
    kafka: { config, producer: true, topics: Object.values(Topics).map((topic) => ({ topic })) },
    mongo: config,
    etcd: config,
    redis: config,
  }),
  address: (config) => ({ host: config.ROUTER_HOST, port: config.ROUTER_PORT }),
  build: ({ config, logger, registry, infra, isDraining }) => {
    const notify = createNotifyWorker({ infra, logger, registry, settings: notifySettings(config) });
    // Channels without a ChannelDelivery registered here leave their recipients `pending`.
    const delivery = new ChannelDeliveryRouter({});
    const pipeline = createPipelineWorkers({ infra, logger, registry, delivery, settings: { partitionConcurrency: config.ROUTER_PARTITION_CONCURRENCY, sequenceCacheSize: config.ROUTER_SEQUENCE_CACHE_SIZE } });
    return {
      app: createRouterApp({ logger, registry, checks: infra.checks, isDraining }),
      start: async () => {
        await pipeline.start();
        await notify.start();
      },
      stop: async () => {
        await Promise.all([pipeline.stop(), notify.stop()]);
      },
    };
  },
});
