import './tracing';
import { Topics } from '@hub/domain';
import { registerConsumerLag, runService } from '@hub/platform';
import { createFrontendApp } from './app';
import { loadFrontendConfig } from './config';
import { composeIdentity } from './identity/index';
import { composeWebhooks } from './webhooks/index';
import { composeDlq } from './dlq/index';
import { composeMessages } from './messages/index';
import { composeTelegram } from './telegram/index';
import { MongoFileCatalog } from '@hub/messages/adapters';
import { reservedPortsFromConfig } from '@hub/webhooks';

await runService({
  name: 'frontend',
  loadConfig: loadFrontendConfig,
  needs: (config) => ({
    kafka: { config, producer: true, topics: Object.values(Topics).map((topic) => ({ topic })) },
    mongo: config,
    etcd: config,
    redis: config,
  }),
  address: (config) => ({ host: config.FRONTEND_HOST, port: config.FRONTEND_PORT }),
  build: async ({ config, logger, registry, infra, isDraining }) => {
    const identity = await composeIdentity(config, infra, logger);
    const reserved = reservedPortsFromConfig(config);
    const webhooks = await composeWebhooks(config, infra, identity.deps.authStack.middleware, logger, { reserved });
    const dlq = await composeDlq(infra, identity.deps.authStack.middleware, logger);
    const messages = await composeMessages(config, infra, identity.deps, registry, logger, new MongoFileCatalog(infra.mongo.db));
    const telegram = await composeTelegram(config, infra, identity.deps, messages, registry, logger);
    // Lag of every consumer group, measured here too so that it is seen while no router runs.
    registerConsumerLag(registry, { admin: infra.kafkaAdmin, namePrefix: config.KAFKA_NAME_PREFIX, logger });
    return {
      app: createFrontendApp({
        logger,
        registry,
        checks: infra.checks,
        isDraining,
        cors: { allowedOrigins: config.CORS_ALLOWED_ORIGINS },
        identity: identity.deps,
        webhooks,
        dlq,
        messages,
        ...(telegram ? { telegram } : {}),
      }),
      // FRONTEND_PORT may be 0 (tests): the port actually bound is the hub's too.
      attach: (server) => reserved.addListening(server, 'frontend service (FRONTEND_PORT)'),
      stop: () => identity.stop(),
    };
  },
});
