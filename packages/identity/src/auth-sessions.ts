import { newId, USER_SCOPES, type Scope, type UserRecord } from '@hub/domain';
import type { AccessTokens, Logger } from '@hub/platform';
import type { RefreshTokenStore } from './ports/refresh-token-store';
import type { RevocableSessions } from './ports/revocable-sessions';
import type { ApiClient } from './records';
import { newSecret, sha256Hex } from './secrets';

/** The OAuth 2.0 token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

/** A refresh token that is unknown, expired, already used, or of a revoked session (OAuth `invalid_grant`). */
export class InvalidGrantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidGrantError';
  }
}

export interface AuthSessionsDeps {
  tokens: AccessTokens;
  refreshTokens: RefreshTokenStore;
  sessions: RevocableSessions;
  /** Does this user still exist? Checked on refresh. */
  userExists: (username: string) => Promise<boolean>;
  refreshTtlMs: number;
  logger: Logger;
}

/**
 * User sessions and token issuing. A login starts a session (the refresh
 * token family); every refresh rotates the refresh token within it.
 * Presenting a refresh token a second time means it leaked (the legitimate
 * holder or the thief already used it): the whole session is revoked and
 * the event logged, without the token.
 */
export class AuthSessions {
  constructor(private readonly d: AuthSessionsDeps) {}

  async startUserSession(user: UserRecord, scopes: readonly Scope[] = USER_SCOPES): Promise<TokenResponse> {
    const family = newId();
    const scope = scopes.join(' ');
    this.d.logger.info({ event: 'auth.login', username: user.username, session_id: family }, 'user logged in');
    return this.issueUserTokens(user.username, family, scope);
  }

  async issueClientToken(client: ApiClient, scopes: readonly Scope[] = client.scopes): Promise<TokenResponse> {
    const accessToken = await this.d.tokens.issue({
      kind: 'client',
      subject: client.client_id,
      scopes,
      ...(client.sender_name ? { senderName: client.sender_name } : {}),
    });
    this.d.logger.info({ event: 'auth.client_token', client_id: client.client_id }, 'client token issued');
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.d.tokens.ttlSeconds, scope: scopes.join(' ') };
  }

  async refresh(refreshToken: string): Promise<TokenResponse> {
    const used = await this.d.refreshTokens.use(sha256Hex(refreshToken));
    if (used.state === 'unknown') throw new InvalidGrantError('the refresh token is unknown or expired; log in again');
    const { family, username, scope } = used.record;
    if (used.state === 'reused') {
      await this.d.sessions.revoke(family);
      this.d.logger.warn(
        { event: 'security.refresh_token_reuse', username, session_id: family },
        'refresh token presented twice; session revoked',
      );
      throw new InvalidGrantError('the refresh token was already used; the session has been revoked for safety, log in again');
    }
    if (await this.d.sessions.isRevoked(family)) throw new InvalidGrantError('the session has been revoked; log in again');
    if (!(await this.d.userExists(username))) throw new InvalidGrantError('the user no longer exists');
    return this.issueUserTokens(username, family, scope);
  }

  async endSession(sessionId: string, username: string): Promise<void> {
    await this.d.sessions.revoke(sessionId);
    this.d.logger.info({ event: 'auth.logout', username, session_id: sessionId }, 'session ended');
  }

  private async issueUserTokens(username: string, family: string, scope: string): Promise<TokenResponse> {
    const scopes = scope.split(' ').filter(Boolean) as Scope[];
    const refreshToken = newSecret('rt');
    await this.d.refreshTokens.save(sha256Hex(refreshToken), { family, username, scope }, this.d.refreshTtlMs);
    const accessToken = await this.d.tokens.issue({ kind: 'user', subject: username, scopes, sessionId: family });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.d.tokens.ttlSeconds, refresh_token: refreshToken, scope };
  }
}
