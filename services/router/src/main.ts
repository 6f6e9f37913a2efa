import { Topics } from '@hub/domain';
import { runService } from '@hub/platform';
import { createRouterApp } from './app';
import { loadRouterConfig } from './config';
import { notifySettings } from './notify/notify-settings';
import { createNotifyWorker } from './notify/notify-worker';

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
    return {
      app: createRouterApp({ logger, registry, checks: infra.checks, isDraining }),
      start: () => notify.start(),
      stop: () => notify.stop(),
    };
  },
});
