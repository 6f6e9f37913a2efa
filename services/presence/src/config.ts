import { z } from 'zod';
import { baseConfigSchema, env, loadConfig, kafkaConfigSchema, mongoConfigSchema, etcdConfigSchema, redisConfigSchema, authConfigSchema } from '@hub/platform';

export const presenceConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(authConfigSchema.shape)
  .extend({
    PRESENCE_HOST: env.host(),
    PRESENCE_PORT: env.port(8083),
  });

export type PresenceConfig = z.infer<typeof presenceConfigSchema>;

export function loadPresenceConfig(source: Record<string, string | undefined> = process.env): PresenceConfig {
  return loadConfig(presenceConfigSchema, source);
}
