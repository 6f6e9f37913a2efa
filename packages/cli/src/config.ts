import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { StoredTokens, TokenStore } from '@hub/sdk';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** Who the CLI logs in as: an API client (its secret is kept, to get a new token when one runs out) or a user (refresh token only). */
export type Login = { kind: 'client'; client_id: string; client_secret: string } | { kind: 'user'; username: string };

/** The config file: one profile (base URL, login, tokens). Holds secrets, so it is written 0600. */
export interface CliConfig {
  base_url?: string;
  login?: Login;
  tokens?: StoredTokens;
}

/** `$XDG_CONFIG_HOME/hub/config.json` (default `~/.config/hub/config.json`). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'hub', 'config.json');
}

export function readConfig(path: string): CliConfig {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CliConfig;
  } catch (err) {
    throw new Error(`the config file ${path} is not valid JSON (${(err as Error).message}); remove it and log in again`);
  }
}

/** Written to a temporary file created 0600, then renamed over the old one: never readable by others, never half-written. */
export function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Keeps the SDK's tokens in the config file, so a refreshed token (and a rotated refresh token) survives this process. */
export class ConfigTokenStore implements TokenStore {
  constructor(private readonly path: string) {}
  get(): StoredTokens | undefined {
    return readConfig(this.path).tokens;
  }
  set(tokens: StoredTokens | undefined): void {
    const config = readConfig(this.path);
    if (tokens) config.tokens = tokens;
    else delete config.tokens;
    writeConfig(this.path, config);
  }
}
