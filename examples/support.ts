/**
 * Shared by the demos: where the hub is, the admin client, users, and
 * step-by-step output. Settings (flags win over the environment):
 *   --base-url / HUB_URL                       default http://127.0.0.1:8080 (npm start)
 *   HUB_ADMIN_CLIENT_ID / HUB_ADMIN_CLIENT_SECRET   default: ADMIN_CLIENT_ID/SECRET in .stack/dev-secrets.env (written by npm start)
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { HubClient, HubProblemError, type WebSocketConstructor } from '@hub/sdk';

const REPO_ROOT = join(import.meta.dirname, '..');

export interface DemoSettings {
  baseUrl: string;
  admin: { clientId: string; clientSecret: string };
  options: Record<string, string | boolean | undefined>;
}

/** Reads the common flags plus the demo's own (`--name value`). */
export function settings(extra: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }> = {}): DemoSettings {
  const { values } = parseArgs({ options: { 'base-url': { type: 'string' }, ...extra }, allowPositionals: false, strict: true });
  const baseUrl = (values['base-url'] as string | undefined) ?? process.env.HUB_URL ?? 'http://127.0.0.1:8080';
  const devSecrets = parseEnvFile(join(process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack'), 'dev-secrets.env'));
  const clientId = process.env.HUB_ADMIN_CLIENT_ID ?? devSecrets.ADMIN_CLIENT_ID;
  const clientSecret = process.env.HUB_ADMIN_CLIENT_SECRET ?? devSecrets.ADMIN_CLIENT_SECRET;
  if (!clientId || !clientSecret)
    fail('no admin client: set HUB_ADMIN_CLIENT_ID and HUB_ADMIN_CLIENT_SECRET (npm start keeps them in .stack/dev-secrets.env)');
  return { baseUrl: baseUrl.replace(/\/+$/, ''), admin: { clientId, clientSecret }, options: values as DemoSettings['options'] };
}

function parseEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

let stepNo = 0;
/** A numbered step of the story. */
export function step(text: string): void {
  process.stdout.write(`\n[${++stepNo}] ${text}\n`);
}
/** Something that happened, under the current step. */
export function say(text: string): void {
  process.stdout.write(`    ${text}\n`);
}
/** A check that held. */
export function ok(text: string): void {
  process.stdout.write(`    ✔ ${text}\n`);
}

export function fail(message: string): never {
  process.stderr.write(`\nDEMO FAILED: ${message}\n`);
  process.exit(1);
}

export function client(baseUrl: string): HubClient {
  return new HubClient({ baseUrl, WebSocket: WebSocket as unknown as WebSocketConstructor });
}

/** The admin API client, logged in. */
export async function admin(s: DemoSettings): Promise<HubClient> {
  const hub = client(s.baseUrl);
  await hub.loginWithClientCredentials(s.admin.clientId, s.admin.clientSecret);
  return hub;
}

/** A new end user (random name with this prefix), registered and logged in. */
export async function newUser(baseUrl: string, prefix: string): Promise<{ username: string; hub: HubClient }> {
  const username = `${prefix}-${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const hub = client(baseUrl);
  await hub.register({ username, password });
  await hub.loginWithPassword(username, password);
  return { username, hub };
}

/** Polls until fn returns a truthy value; fails the demo with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs a demo: exit 0 when it finished, 1 with the reason otherwise (problem+json errors shown as the hub sent them). */
export function run(name: string, demo: () => Promise<void>): void {
  demo().then(
    () => {
      process.stdout.write(`\n${name}: OK\n`);
      process.exit(0);
    },
    (err: unknown) => {
      if (err instanceof HubProblemError)
        fail(
          `${err.status} ${err.title}${err.detail ? `: ${err.detail}` : ''}${err.errors.map((e) => `\n  ${e.field}: ${e.message}`).join('')}`,
        );
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      fail(`${(err as Error).message ?? String(err)}${cause ? ` (${cause})` : ''}`);
    },
  );
}
