import { Topics } from '@hub/domain';
import { runService } from '@hub/platform';
import { createFilesApp } from './app';
import { loadFilesConfig } from './config';

await runService({
  name: 'files',
  loadConfig: loadFilesConfig,
  needs: (config) => ({
    kafka: { config, producer: true, topics: [{ topic: Topics.files }] },
    mongo: config,
    etcd: config,
    s3: config,
  }),
  address: (config) => ({ host: config.FILES_HOST, port: config.FILES_PORT }),
  build: ({ logger, registry, infra, isDraining }) => ({
    app: createFilesApp({ logger, registry, checks: infra.checks, isDraining }),
  }),
});
