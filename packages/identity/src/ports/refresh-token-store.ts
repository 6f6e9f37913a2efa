/** What a refresh token stands for. The family is the login session: every rotation stays in it. */
export interface RefreshTokenRecord {
  family: string;
  username: string;
  /** Space-separated scopes granted at login, kept across rotations. */
  scope: string;
}

export type RefreshTokenUse =
  { state: 'fresh'; record: RefreshTokenRecord } | { state: 'reused'; record: RefreshTokenRecord } | { state: 'unknown' };

/**
 * Port: refresh tokens, stored by digest with a TTL. `use` marks a token
 * used and reports whether it already was, atomically, so two concurrent
 * rotations of one token cannot both succeed.
 */
export interface RefreshTokenStore {
  save(tokenHash: string, record: RefreshTokenRecord, ttlMs: number): Promise<void>;
  use(tokenHash: string): Promise<RefreshTokenUse>;
}
