import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Connection settings every integration test needs. */
export const STACK_KEYS = [
  'KAFKA_BROKERS',
  'MONGO_URL',
  'ETCD_HOSTS',
  'REDIS_URL',
  'S3_ENDPOINT',
  'S3_ACCESS_KEY',
  'S3_SECRET_KEY',
  'S3_REGION',
] as const;

export function parseEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** The stack's settings as the global setup put them in the environment. */
export function stackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of STACK_KEYS) {
    const v = process.env[key];
    if (!v)
      throw new Error(
        `${key} is not set: integration tests run through vitest's integration project (npm test), whose global setup starts the stack`,
      );
    env[key] = v;
  }
  return env;
}
