/** Port: notification of revoked sessions (logout, refresh token reuse), from any instance, as they happen. */
export interface RevocationFeed {
  /** Calls onRevoked with each session id revoked from now on; resolves with an unsubscribe function. */
  subscribe(onRevoked: (sessionId: string) => void): Promise<() => Promise<void>>;
}
