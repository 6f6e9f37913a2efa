import WebSocket from 'ws';
import { HubClient, type WebSocketConstructor } from '@hub/sdk';
import { ConfigTokenStore, configPath, DEFAULT_BASE_URL, readConfig, writeConfig, type CliConfig } from './config.js';
import { ExitCode, UsageError } from './errors.js';
import { Output } from './output.js';

/** Global options every command gets. */
export interface GlobalOptions {
  baseUrl?: string;
  json?: boolean;
}

/** What a command works with: the output, the config file, and (when logged in) a client. */
export class Context {
  readonly out: Output;
  readonly configFile: string;

  constructor(
    readonly opts: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.out = new Output(Boolean(opts.json));
    this.configFile = configPath(env);
  }

  get config(): CliConfig {
    return readConfig(this.configFile);
  }

  saveConfig(config: CliConfig): void {
    writeConfig(this.configFile, config);
  }

  /** `--base-url`, then `HUB_URL`, then the config file, then the local `npm start` gateway. */
  get baseUrl(): string {
    const url = this.opts.baseUrl ?? this.env.HUB_URL ?? this.config.base_url ?? DEFAULT_BASE_URL;
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new UsageError(`the base URL "${url}" is not an http(s) URL`);
    }
    return url.replace(/\/+$/, '');
  }

  /** A client without a login (for login itself). */
  anonymousClient(): HubClient {
    return new HubClient({
      baseUrl: this.baseUrl,
      tokenStore: new ConfigTokenStore(this.configFile),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
  }

  /** The logged-in client; API clients get a new token from their stored secret when theirs ran out. */
  async client(): Promise<HubClient> {
    const config = this.config;
    if (!config.login) throw new UsageError('not logged in: run `hub login` first', ExitCode.auth);
    if (config.base_url && config.base_url !== this.baseUrl)
      throw new UsageError(
        `logged in to ${config.base_url}, not ${this.baseUrl}: run \`hub login --base-url ${this.baseUrl}\``,
        ExitCode.auth,
      );
    const hub = this.anonymousClient();
    if (config.login.kind === 'client') {
      const t = config.tokens;
      // The SDK renews client tokens from the credentials it logged in with; a new process hands them over with a fresh login when needed.
      if (!t || t.expiresAt - 60_000 <= Date.now())
        await hub.loginWithClientCredentials(config.login.client_id, config.login.client_secret);
      else await hub.tokens.setTokens(t);
    } else if (!config.tokens) {
      throw new UsageError('the session ended: run `hub login` again', ExitCode.auth);
    }
    return hub;
  }
}
