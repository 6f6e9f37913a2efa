/**
 * WebSocket close codes the gateway uses (documented in docs/websocket.md).
 * 4xxx are the application's own range (RFC 6455 §7.4.2). "Resume" means:
 * reconnect, then send `resume` with the last sequence per conversation.
 */
export const CloseCodes = {
  /** The node is shutting down: reconnect (to any node) and resume. */
  goingAway: 1001,
  /** A frame larger than WS_MAX_FRAME_BYTES (set by the ws library). */
  tooBig: 1009,
  /** The session was revoked (logout, token family revoked): do not reconnect with the same token. */
  sessionRevoked: 4001,
  /** No frame within WS_HEARTBEAT_INTERVAL_MS × WS_HEARTBEAT_MISSES: reconnect and resume. */
  heartbeatTimeout: 4002,
  /** The client read too slowly and its send buffer overflowed: reconnect and resume. */
  slowConsumer: 4003,
  /** The client kept sending past the frame rate limit after being told: back off, then reconnect and resume. */
  rateLimited: 4008,
  /** The access token expired while connected: refresh it, reconnect and resume. */
  tokenExpired: 4010,
} as const;
