import { Topics } from '@hub/domain';
import { runService } from '@hub/platform';
import { createPresenceApp } from './app';
import { loadPresenceConfig } from './config';

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
  build: ({ logger, registry, infra, isDraining }) => ({
    app: createPresenceApp({ logger, registry, checks: infra.checks, isDraining }),
  }),
});
