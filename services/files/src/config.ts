import { z } from 'zod';
import { baseConfigSchema, env, loadConfig, kafkaConfigSchema, mongoConfigSchema, etcdConfigSchema, s3ConfigSchema, authConfigSchema } from '@hub/platform';

export const filesConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(s3ConfigSchema.shape)
  .extend(authConfigSchema.shape)
  .extend({
    FILES_HOST: env.host(),
    FILES_PORT: env.port(8084),
  });

export type FilesConfig = z.infer<typeof filesConfigSchema>;

export function loadFilesConfig(source: Record<string, string | undefined> = process.env): FilesConfig {
  return loadConfig(filesConfigSchema, source);
}
