import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/stack-env';

/** The pinned kustomize and deploy/validate, built once into the cache by scripts/ensure-deploy-tools.sh. */
export function ensureDeployTools(): { kustomize: string; validate: string } {
  execFileSync('bash', [join(REPO_ROOT, 'scripts/ensure-deploy-tools.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const bin = join(process.env.HUB_CACHE_DIR ?? join(homedir(), '.cache', 'messaging-hub'), 'bin');
  return { kustomize: join(bin, 'kustomize'), validate: join(bin, 'deploy-validate') };
}

export const OVERLAYS = ['dev', 'prod'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `kustomize build` of an overlay, every object strictly decoded into the Kubernetes API types (throws with the decoder's message otherwise). */
export function buildOverlay(tools: { kustomize: string; validate: string }, overlay: string): K8sObject[] {
  const yaml = execFileSync(tools.kustomize, ['build', join(REPO_ROOT, 'deploy/k8s/overlays', overlay)], {
    encoding: 'utf8',
    maxBuffer: 32 << 20,
  });
  return validateK8s(tools, yaml);
}

export function validateK8s(tools: { validate: string }, yaml: string): K8sObject[] {
  return JSON.parse(execFileSync(tools.validate, ['k8s', '-'], { input: yaml, encoding: 'utf8', maxBuffer: 32 << 20 })) as K8sObject[];
}

/** Values a fresh operator would put in .env: deploy/compose.env.example with its secrets generated. */
export function composeTestEnv(): string {
  const generated: Record<string, string> = {
    JWT_SECRET: randomBytes(48).toString('base64'),
    WEBHOOK_SECRETS_KEY: randomBytes(32).toString('base64'),
    ADMIN_CLIENT_SECRET: randomBytes(24).toString('base64'),
    S3_SECRET_KEY: randomBytes(24).toString('hex'),
    GRAFANA_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
  };
  const text = readFileSync(join(REPO_ROOT, 'deploy/compose.env.example'), 'utf8').replace(/^([A-Z0-9_]+)=$/gm, (line, key: string) =>
    generated[key] ? `${key}=${generated[key]}` : line,
  );
  const file = join(mkdtempSync(join(tmpdir(), 'hub-compose-')), '.env');
  writeFileSync(file, text);
  return file;
}

export interface ComposeService {
  image?: string;
  command?: string[];
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string | null>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  volumes?: { type: string; source?: string; target: string }[];
  restart?: string;
}

/** docker-compose.yml loaded and validated by compose-go (the loader of docker compose) with `envFile` as .env. */
export function loadCompose(tools: { validate: string }, envFile: string): { services: Record<string, ComposeService> } {
  return JSON.parse(
    execFileSync(tools.validate, ['compose', '-env-file', envFile, join(REPO_ROOT, 'docker-compose.yml')], {
      encoding: 'utf8',
      maxBuffer: 32 << 20,
    }),
  ) as {
    services: Record<string, ComposeService>;
  };
}
