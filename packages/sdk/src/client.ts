import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/hub-api.js';
import { asProblem, HubProblemError, problemFromResponse } from './errors.js';
import { createHubFetch, type HubFetchOptions } from './http.js';
import type { RetryOptions } from './retry.js';
import { parseRetryAfter } from './retry.js';
import { TokenManager, url, type FetchLike, type StoredTokens, type TokenStore } from './tokens.js';
import { HubSocket, type HubSocketOptions } from './ws.js';

export type Schemas = components['schemas'];
export type HubApi = Client<paths>;

export interface HubClientOptions {
  /** The hub's origin (and path prefix, if any), e.g. `https://hub.example.com` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Where tokens are kept (default: memory). In a browser: `new WebStorageTokenStore(sessionStorage)`. */
  tokenStore?: TokenStore;
  /** The fetch to use (default: the global one). */
  fetch?: FetchLike;
  retry?: RetryOptions;
  /** Renew the access token this long before it expires, ms (default 60 000). */
  refreshMarginMs?: number;
  onRetry?: HubFetchOptions['onRetry'];
  /** For `connect()`: the WebSocket constructor (default: the global one; Node 20: `import WebSocket from 'ws'`). */
  WebSocket?: HubSocketOptions['WebSocket'];
  /** For `connect()`: the WebSocket URL when it is not `baseUrl` with ws(s): and `/v1/ws` (presence served elsewhere, no gateway). */
  wsUrl?: string;
  /** For uploads: the files service's base URL when `/v1/files` is not served at `baseUrl` (no gateway). */
  filesUrl?: string;
}

type Data<T> = { data?: T; error?: unknown; response: Response };

/**
 * The hub's REST API, typed from its OpenAPI document. `api` is the full
 * typed client (`hub.api.GET('/v1/conversations')`); the methods below
 * cover the common calls and throw HubProblemError on a refusal.
 *
 * Every send carries an Idempotency-Key (unless it has a message_id or a
 * key of its own) and is retried with the same key on 429/503 and network
 * errors, so a retried send is stored once.
 */
export class HubClient {
  readonly api: HubApi;
  readonly tokens: TokenManager;
  /** The fetch the client uses (auth, idempotency keys, retries): for calls the typed client does not cover. */
  readonly fetch: FetchLike;

  constructor(readonly options: HubClientOptions) {
    this.tokens = new TokenManager({
      baseUrl: options.baseUrl,
      ...(options.tokenStore ? { store: options.tokenStore } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.refreshMarginMs !== undefined ? { refreshMarginMs: options.refreshMarginMs } : {}),
    });
    this.fetch = createHubFetch({
      tokens: this.tokens,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
    this.api = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: this.fetch });
  }

  loginWithPassword(username: string, password: string, opts: { scope?: string } = {}): Promise<StoredTokens> {
    return this.tokens.loginWithPassword(username, password, opts);
  }

  loginWithClientCredentials(clientId: string, clientSecret: string, opts: { scope?: string } = {}): Promise<StoredTokens> {
    return this.tokens.loginWithClientCredentials(clientId, clientSecret, opts);
  }

  logout(): Promise<void> {
    return this.tokens.logout();
  }

  /** Creates an end user account (no login). */
  async register(body: Schemas['RegisterRequest']): Promise<Schemas['User']> {
    return unwrap(await this.api.POST('/v1/auth/register', { body }));
  }

  async me(): Promise<Schemas['Principal']> {
    return unwrap(await this.api.GET('/v1/auth/me'));
  }

  /**
   * `POST /v1/messages`. Idempotent: pass `idempotencyKey` (or
   * `body.message_id`) to make a resend after a crash count as the same
   * message; otherwise a fresh key is made for this call and its retries.
   */
  async sendMessage(
    body: Schemas['SendMessageRequest'],
    opts: { idempotencyKey?: string; signal?: AbortSignal } = {},
  ): Promise<Schemas['MessageAccepted']> {
    return unwrap(
      await this.api.POST('/v1/messages', {
        body,
        ...(opts.idempotencyKey ? { params: { header: { 'idempotency-key': opts.idempotencyKey } } } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    );
  }

  async messageStatus(messageId: string): Promise<Schemas['MessageStatus']> {
    return unwrap(await this.api.GET('/v1/messages/{message_id}/status', { params: { path: { message_id: messageId } } }));
  }

  async createConversation(body: Schemas['CreateConversationRequest']): Promise<Schemas['Conversation']> {
    return unwrap(await this.api.POST('/v1/conversations', { body }));
  }

  /** A page of a conversation's history (oldest first after `after`). */
  async history(
    conversationId: string,
    query: NonNullable<paths['/v1/conversations/{conversation_id}/messages']['get']['parameters']['query']> = {},
  ): Promise<Schemas['MessageHistory']> {
    return unwrap(
      await this.api.GET('/v1/conversations/{conversation_id}/messages', { params: { path: { conversation_id: conversationId }, query } }),
    );
  }

  /**
   * `GET /v1/presence/{username}`: online or offline (yourself, members of a
   * shared conversation they accepted; API clients with messages:read).
   * Typed by hand until the presence node documents it in OpenAPI.
   */
  async presence(username: string): Promise<{ user: string; status: 'online' | 'offline' }> {
    const res = await this.fetch(
      new Request(url(this.options.baseUrl, `/v1/presence/${encodeURIComponent(username)}`), { headers: { accept: 'application/json' } }),
    );
    if (!res.ok) throw await problemFromResponse(res, parseRetryAfter(res.headers.get('retry-after')));
    return (await res.json()) as { user: string; status: 'online' | 'offline' };
  }

  /** A WebSocket connection to `/v1/ws` with this client's tokens (renewed on 4010). */
  connect(opts: Omit<HubSocketOptions, 'url' | 'auth'> & { url?: string } = {}): HubSocket {
    const ws = this.options.WebSocket;
    const socket = new HubSocket({
      url: opts.url ?? this.options.wsUrl ?? wsUrlFor(this.options.baseUrl),
      auth: { getAccessToken: () => this.tokens.getAccessToken(), renewAccessToken: (t) => this.tokens.renewAfterRejection(t) },
      ...(ws ? { WebSocket: ws } : {}),
      ...opts,
    });
    socket.connect();
    return socket;
  }
}

/** The WebSocket URL for a hub base URL: same host, ws(s): scheme, `/v1/ws`. */
export function wsUrlFor(baseUrl: string): string {
  return url(baseUrl.replace(/^http/, 'ws'), '/v1/ws');
}

/** The data of a typed-client answer, or its problem thrown as HubProblemError. */
export function unwrap<T>(result: Data<T>): T {
  if (result.response.ok) return result.data as T;
  const retryAfterMs = parseRetryAfter(result.response.headers.get('retry-after'));
  throw new HubProblemError(
    asProblem(result.error, result.response.status, result.response.statusText),
    retryAfterMs !== undefined ? { retryAfterMs } : {},
  );
}
