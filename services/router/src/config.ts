import { z } from 'zod';
import { baseConfigSchema, env, loadConfig, kafkaConfigSchema, mongoConfigSchema, etcdConfigSchema, redisConfigSchema } from '@hub/platform';
import { webhookDispatchConfigSchema, webhookPolicyConfigSchema } from '@hub/webhooks';

export const routerConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(webhookPolicyConfigSchema.shape)
  .extend(webhookDispatchConfigSchema.shape)
  .extend({
    ROUTER_HOST: env.host(),
    ROUTER_PORT: env.port(8082),
  });

export type RouterConfig = z.infer<typeof routerConfigSchema>;

export function loadRouterConfig(source: Record<string, string | undefined> = process.env): RouterConfig {
  return loadConfig(routerConfigSchema, source);
}
