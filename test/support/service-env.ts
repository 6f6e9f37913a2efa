import { randomBytes, randomUUID } from 'node:crypto';
import { stackEnv } from './stack-env';

/**
 * Environment for a service process under test: the stack's connection
 * settings plus a private namespace in every store, so tests never see
 * each other's data.
 */
export function isolatedServiceEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  return {
    ...stackEnv(),
    NODE_ENV: 'test',
    JWT_SECRET: `test-secret-${randomUUID()}-${randomUUID()}`,
    // Services under test seal webhook secrets as production does.
    WEBHOOK_SECRETS_KEY: randomBytes(32).toString('base64'),
    ETCD_NAMESPACE: `t-${id}/`,
    REDIS_KEY_PREFIX: `t-${id}:`,
    MONGO_DB: `t-${id}`,
    KAFKA_NAME_PREFIX: `t-${id}.`,
    S3_BUCKET: `t-${id}`,
    ...overrides,
  };
}

/** This process's environment variables whose names start with `prefix` (benchmarks pass them on to the services they spawn). */
export function envWithPrefix(prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith(prefix) && e[1] !== undefined),
  );
}
