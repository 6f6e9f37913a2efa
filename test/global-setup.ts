import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseEnvFile, REPO_ROOT, STACK_KEYS } from './support/stack-env';

/**
 * Starts the local stack once for the integration project, unless every
 * connection setting is already given (your own servers, docker compose).
 */
export default function setup(): void {
  const given = STACK_KEYS.filter((k) => process.env[k]);
  if (given.length === STACK_KEYS.length) {
    process.stdout.write(
      `[integration] using the servers given in the environment (${process.env.KAFKA_BROKERS}, ${process.env.MONGO_URL}, …)\n`,
    );
    return;
  }
  if (given.length > 0) {
    throw new Error(
      `Some stack settings are set (${given.join(', ')}) but not all of ${STACK_KEYS.join(', ')}: set all of them, or none to use the local stack.`,
    );
  }
  process.stdout.write('[integration] starting the local stack (deploy/local/stack.sh up)…\n');
  execFileSync('bash', [join(REPO_ROOT, 'deploy/local/stack.sh'), 'up'], { stdio: 'inherit', cwd: REPO_ROOT });
  const env = parseEnvFile(join(process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack'), 'env'));
  for (const key of STACK_KEYS) {
    if (!env[key]) throw new Error(`deploy/local/stack.sh up did not write ${key} to .stack/env`);
    process.env[key] = env[key];
  }
}
