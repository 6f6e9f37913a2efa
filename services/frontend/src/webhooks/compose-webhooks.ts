import type { MiddlewareHandler } from 'hono';
import type { AuthVariables, InfraWith, Logger } from '@hub/platform';
import {
  AddressPolicy,
  allowHttpWebhooks,
  reservedPortsFromConfig,
  SystemHostResolver,
  TargetVetter,
  WebhooksRepository,
  webhookSecretCodec,
  type HostResolver,
  type ReservedPorts,
} from '@hub/webhooks';
import { MongoWebhookDeliveryStore } from '@hub/webhooks/adapters';
import type { FrontendConfig } from '../config';
import type { WebhooksDeps } from './webhooks-deps';

export interface ComposeWebhooksOptions {
  /** Name resolution for registered URLs; the system resolver by default. */
  resolver?: HostResolver;
  /** The hub's ports that are never webhook targets; from config by default (main.ts passes its own, to add the bound port). */
  reserved?: ReservedPorts;
}

/** Builds the webhook routes' dependencies once at boot (called from main.ts). */
export async function composeWebhooks(
  config: FrontendConfig,
  infra: InfraWith<'etcd' | 'mongo'>,
  auth: MiddlewareHandler<{ Variables: AuthVariables }>,
  logger: Logger,
  opts: ComposeWebhooksOptions = {},
): Promise<WebhooksDeps> {
  const resolver = opts.resolver ?? new SystemHostResolver();
  const reserved = opts.reserved ?? reservedPortsFromConfig(config);
  const secrets = webhookSecretCodec(config);
  if (!secrets.encrypting) logger.warn('WEBHOOK_SECRETS_KEY is not set: webhook signing secrets are stored unencrypted in etcd');
  const deliveries = new MongoWebhookDeliveryStore(infra.mongo.db);
  await deliveries.ensureIndexes();
  return {
    auth,
    repo: new WebhooksRepository(infra.etcd, secrets),
    deliveries,
    vetter: new TargetVetter({ allowHttp: allowHttpWebhooks(config) }, new AddressPolicy(config.WEBHOOK_ALLOWED_CIDRS, reserved), resolver),
    defaultGraceMs: config.WEBHOOK_SECRET_GRACE_S * 1000,
    maxPerClient: config.WEBHOOK_MAX_PER_CLIENT,
    maxBodyBytes: config.MAX_BODY_BYTES,
    logger,
  };
}
