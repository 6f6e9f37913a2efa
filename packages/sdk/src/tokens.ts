import { HubProblemError, problemFromResponse } from './errors.js';
import { nextRetryDelay, parseRetryAfter, sleep, type RetryOptions } from './retry.js';

/** What a login leaves behind. `expiresAt` is epoch ms. */
export interface StoredTokens {
  accessToken: string;
  expiresAt: number;
  /** Epoch ms when it was issued (limits the refresh margin to half the lifetime). */
  issuedAt?: number;
  /** End users only: single use, rotated on every refresh (the new one replaces it). */
  refreshToken?: string;
  scope?: string;
}

/**
 * Where tokens live between requests (and, for a browser, between page
 * loads). Implementations may be synchronous or not. `set(undefined)`
 * forgets them (logout, refused refresh).
 */
export interface TokenStore {
  get(): StoredTokens | undefined | Promise<StoredTokens | undefined>;
  set(tokens: StoredTokens | undefined): void | Promise<void>;
}

/** The default store: this process only. */
export class MemoryTokenStore implements TokenStore {
  private tokens: StoredTokens | undefined;
  constructor(initial?: StoredTokens) {
    this.tokens = initial;
  }
  get(): StoredTokens | undefined {
    return this.tokens;
  }
  set(tokens: StoredTokens | undefined): void {
    this.tokens = tokens;
  }
}

/** The part of the Web Storage API a store needs (`localStorage`, `sessionStorage`, or anything shaped like them). */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Keeps tokens in Web Storage, e.g. `new WebStorageTokenStore(localStorage)`.
 * Anything script on the page can read localStorage, so prefer
 * sessionStorage (or memory) where an XSS would matter.
 */
export class WebStorageTokenStore implements TokenStore {
  constructor(
    private readonly storage: WebStorageLike,
    private readonly key = 'hub.tokens',
  ) {}
  get(): StoredTokens | undefined {
    const raw = this.storage.getItem(this.key);
    if (!raw) return undefined;
    try {
      const t = JSON.parse(raw) as StoredTokens;
      return typeof t.accessToken === 'string' && typeof t.expiresAt === 'number' ? t : undefined;
    } catch {
      return undefined;
    }
  }
  set(tokens: StoredTokens | undefined): void {
    if (tokens) this.storage.setItem(this.key, JSON.stringify(tokens));
    else this.storage.removeItem(this.key);
  }
}

/** The token endpoint's answer (OAuth 2.0). */
export interface TokenResponseBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

export type FetchLike = (input: Request) => Promise<Response>;

export interface TokenManagerOptions {
  baseUrl: string;
  store?: TokenStore;
  fetch?: FetchLike;
  /** Renew this long before the access token expires, ms (default 60 000, at most half the token's lifetime). */
  refreshMarginMs?: number;
  /** Retries of token requests on 429/503 (never on network errors: a refresh token is single-use). */
  retry?: RetryOptions;
  now?: () => number;
}

/** API client credentials, kept in memory to get a new token when the old one runs out (clients get no refresh token). */
interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  scope?: string;
}

/**
 * Logs in, keeps the access token fresh and logs out. Renewals are
 * single-flight: concurrent requests that find the token stale share one
 * refresh, which matters because refresh tokens rotate and a second use of
 * the old one revokes the whole session.
 */
export class TokenManager {
  private readonly store: TokenStore;
  private readonly fetchFn: FetchLike;
  private readonly now: () => number;
  private credentials: ClientCredentials | undefined;
  private renewing: Promise<StoredTokens | undefined> | undefined;
  private readonly listeners = new Set<(tokens: StoredTokens | undefined) => void>();

  constructor(private readonly opts: TokenManagerOptions) {
    this.store = opts.store ?? new MemoryTokenStore();
    this.fetchFn = opts.fetch ?? ((r) => globalThis.fetch(r));
    this.now = opts.now ?? Date.now;
  }

  /** Called with the new tokens after each login and renewal, and with undefined after logout or a refused refresh. */
  onChange(listener: (tokens: StoredTokens | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** End user login (`grant_type=password`). */
  async loginWithPassword(username: string, password: string, opts: { scope?: string } = {}): Promise<StoredTokens> {
    this.credentials = undefined;
    return this.save(await this.tokenRequest({ grant_type: 'password', username, password, ...(opts.scope ? { scope: opts.scope } : {}) }));
  }

  /** API client login (`grant_type=client_credentials`); the credentials stay in memory to get the next token when this one runs out. */
  async loginWithClientCredentials(clientId: string, clientSecret: string, opts: { scope?: string } = {}): Promise<StoredTokens> {
    this.credentials = { clientId, clientSecret, ...(opts.scope ? { scope: opts.scope } : {}) };
    return this.save(await this.clientCredentialsGrant(this.credentials));
  }

  /** Uses tokens obtained elsewhere (a previous session's store, a test). */
  async setTokens(tokens: StoredTokens | undefined): Promise<void> {
    await this.store.set(tokens);
    this.emit(tokens);
  }

  async getTokens(): Promise<StoredTokens | undefined> {
    return this.store.get();
  }

  /**
   * A usable access token: the stored one while it is fresh, else a renewed
   * one (refresh token or client credentials). Undefined when not logged in.
   * A renewal the server refuses (revoked, expired refresh token) clears the
   * store and throws the HubProblemError.
   */
  async getAccessToken(): Promise<string | undefined> {
    const tokens = await this.store.get();
    if (!tokens) return undefined;
    if (!this.isStale(tokens)) return tokens.accessToken;
    if (!this.canRenew(tokens)) return tokens.accessToken;
    return (await this.renew())?.accessToken;
  }

  /**
   * The server refused `rejected` (401): renew unless another caller already
   * did, and return the token to retry with (undefined: nothing to retry).
   */
  async renewAfterRejection(rejected: string): Promise<string | undefined> {
    const tokens = await this.store.get();
    if (!tokens) return undefined;
    if (tokens.accessToken !== rejected) return tokens.accessToken;
    if (!this.canRenew(tokens)) return undefined;
    return (await this.renew())?.accessToken;
  }

  /** Revokes the session on the server (end users) and forgets the tokens either way. */
  async logout(): Promise<void> {
    const tokens = await this.store.get();
    try {
      // Only user sessions can be revoked; an expired access token is renewed first so the session does not outlive the logout.
      const access = tokens?.refreshToken ? await this.getAccessToken().catch(() => undefined) : undefined;
      if (access) {
        const res = await this.fetchFn(
          new Request(url(this.opts.baseUrl, '/v1/auth/logout'), { method: 'POST', headers: { authorization: `Bearer ${access}` } }),
        );
        if (!res.ok && res.status !== 401) throw await problemFromResponse(res);
        await res.body?.cancel();
      }
    } finally {
      this.credentials = undefined;
      await this.setTokens(undefined);
    }
  }

  private isStale(t: StoredTokens): boolean {
    let margin = this.opts.refreshMarginMs ?? 60_000;
    // A short-lived token (tests, strict deployments) is renewed at half its life, not on every request.
    if (t.issuedAt !== undefined) margin = Math.min(margin, (t.expiresAt - t.issuedAt) / 2);
    return t.expiresAt - this.now() <= margin;
  }

  private canRenew(t: StoredTokens): boolean {
    return Boolean(t.refreshToken || this.credentials);
  }

  private renew(): Promise<StoredTokens | undefined> {
    this.renewing ??= this.doRenew().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async doRenew(): Promise<StoredTokens | undefined> {
    const tokens = await this.store.get();
    try {
      if (tokens?.refreshToken)
        return await this.save(await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken }));
      if (this.credentials) return await this.save(await this.clientCredentialsGrant(this.credentials));
      return tokens;
    } catch (err) {
      // A refused refresh (used, expired, revoked) will never work again: forget the session so the app asks for a login.
      if (err instanceof HubProblemError && (err.status === 400 || err.status === 401)) await this.setTokens(undefined);
      throw err;
    }
  }

  private clientCredentialsGrant(c: ClientCredentials): Promise<TokenResponseBody> {
    return this.tokenRequest({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
      ...(c.scope ? { scope: c.scope } : {}),
    });
  }

  private async tokenRequest(body: Record<string, string>): Promise<TokenResponseBody> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.fetchFn(
        new Request(url(this.opts.baseUrl, '/v1/auth/token'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
        }),
      );
      if (res.ok) return (await res.json()) as TokenResponseBody;
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
      const delay = res.status === 429 || res.status === 503 ? nextRetryDelay(attempt, retryAfterMs, this.opts.retry) : undefined;
      if (delay === undefined) throw await problemFromResponse(res, retryAfterMs);
      await res.body?.cancel();
      await sleep(delay);
    }
  }

  private async save(body: TokenResponseBody): Promise<StoredTokens> {
    const now = this.now();
    const tokens: StoredTokens = {
      accessToken: body.access_token,
      issuedAt: now,
      expiresAt: now + body.expires_in * 1000,
      // Rotation: the new refresh token replaces the used one (a refresh answer always carries one for users).
      ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
      scope: body.scope,
    };
    await this.setTokens(tokens);
    return tokens;
  }

  private emit(tokens: StoredTokens | undefined): void {
    for (const l of this.listeners) {
      try {
        l(tokens);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

/** Joins a base URL (with or without a path prefix such as a gateway's) and an absolute API path. */
export function url(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}
