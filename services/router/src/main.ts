import { Topics } from '@hub/domain';
import { runService } from '@hub/platform';
import { createRouterApp } from './app';
import { loadRouterConfig } from './config';

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
  build: ({ logger, registry, infra, isDraining }) => ({
    app: createRouterApp({ logger, registry, checks: infra.checks, isDraining }),
  }),
});
