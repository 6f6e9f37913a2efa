// @hub/sdk: the core entry. Browser-safe: no node: imports here (Node-only helpers are in @hub/sdk/node).
export { HubClient, unwrap, wsUrlFor, type HubApi, type HubClientOptions, type Schemas } from './client.js';
export { HubNetworkError, HubProblemError, problemFromResponse, type Problem, type ProblemFieldError } from './errors.js';
export { createHubFetch, isSend, type HubFetchOptions } from './http.js';
export { backoffDelay, DEFAULT_RETRY, nextRetryDelay, parseRetryAfter, type BackoffOptions, type RetryOptions } from './retry.js';
export {
  MemoryTokenStore,
  TokenManager,
  WebStorageTokenStore,
  type FetchLike,
  type StoredTokens,
  type TokenManagerOptions,
  type TokenStore,
  type WebStorageLike,
} from './tokens.js';
export { ResumeTracker, type TrackedMessage } from './resume-tracker.js';
export {
  HubSocket,
  HubSocketError,
  type CloseInfo,
  type HubSocketEvents,
  type HubSocketOptions,
  type SocketAuth,
  type SocketState,
  type WebSocketConstructor,
  type WebSocketEventLike,
  type WebSocketLike,
} from './ws.js';
export * from './ws-frames.js';
export {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  type VerifyOptions,
  type WebhookEvent,
  type WebhookFailure,
  type WebhookHeaders,
} from './webhooks.js';
export type { components, paths } from './generated/hub-api.js';
export { blobSource, sha256Hex, upload, type UploadOptions, type UploadProgress, type UploadSource } from './upload.js';
