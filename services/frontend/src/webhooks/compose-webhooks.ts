import type { MiddlewareHandler } from 'hono';
import type { AuthVariables, Infra, Logger } from '@hub/platform';
import { AddressPolicy, allowHttpWebhooks, MongoWebhookDeliveryStore, SystemHostResolver, TargetVetter, WebhooksRepository, webhookSecretCodec, type HostResolver } from '@hub/webhooks';
import type { FrontendConfig } from '../config';
import type { WebhooksDeps } from './webhooks-deps';

/** Builds the webhook routes' dependencies once at boot (called from main.ts). */
export async function composeWebhooks(
  config: FrontendConfig,
  infra: Infra,
  auth: MiddlewareHandler<{ Variables: AuthVariables }>,
  logger: Logger,
  resolver: HostResolver = new SystemHostResolver(),
): Promise<WebhooksDeps> {
  if (!infra.etcd || !infra.mongo) throw new Error('webhooks need etcd and MongoDB connections');
  const secrets = webhookSecretCodec(config);
  if (!secrets.encrypting) logger.warn('WEBHOOK_SECRETS_KEY is not set: webhook signing secrets are stored unencrypted in etcd');
  const deliveries = new MongoWebhookDeliveryStore(infra.mongo.db);
  await deliveries.ensureIndexes();
  return {
    auth,
    repo: new WebhooksRepository(infra.etcd, secrets),
    deliveries,
    vetter: new TargetVetter({ allowHttp: allowHttpWebhooks(config) }, new AddressPolicy(config.WEBHOOK_ALLOWED_CIDRS), resolver),
    defaultGraceMs: config.WEBHOOK_SECRET_GRACE_S * 1000,
    maxPerClient: config.WEBHOOK_MAX_PER_CLIENT,
    maxBodyBytes: config.MAX_BODY_BYTES,
    logger,
  };
}
