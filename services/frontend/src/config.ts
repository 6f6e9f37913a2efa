import { z } from 'zod';
import { baseConfigSchema, env, etcdConfigSchema, kafkaConfigSchema, loadConfig, mongoConfigSchema, redisConfigSchema, authConfigSchema } from '@hub/platform';

export const frontendConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(authConfigSchema.shape)
  .extend({
    FRONTEND_HOST: env.host(),
    FRONTEND_PORT: env.port(8081),
    /** Largest JSON body the API reads. */
    MAX_BODY_BYTES: env.positiveInt(65_536),
  });

export type FrontendConfig = z.infer<typeof frontendConfigSchema>;

export function loadFrontendConfig(source: Record<string, string | undefined> = process.env): FrontendConfig {
  return loadConfig(frontendConfigSchema, source);
}
