// Users, API clients, channel mappings and the auth stack. Redis adapters: '@hub/identity/adapters'.
export {
  type StoredUser,
  type ApiClient,
  type StoredClient,
  ClientIdSchema,
  PASSWORD_MAX,
  RegisterRequestSchema,
  CreateClientRequestSchema,
  type CreateClientRequest,
} from './records';
export { type PasswordHashSettings, PasswordHasher } from './passwords';
export { externalIdOf, channelFields, ExternalChannelSchema, MappingBodySchemas, type MappingBody } from './channel-mapping-schemas';
export { type NewUser, UsersRepository } from './users.repository';
export { ClientsRepository } from './clients.repository';
export { type ChannelIndexEntry, type LinkResult, ChannelMappingsRepository } from './channel-mappings.repository';
export { WatchedIdentityDirectory } from './watched-identity-directory';
export { type TokenResponse, InvalidGrantError, type AuthSessionsDeps, AuthSessions } from './auth-sessions';
export {
  createAuthStack,
  rateLimitHeaders,
  unavailableOnTransient,
  principalOf,
  type ClientLookup,
  type AuthStackDeps,
  type AuthStack,
} from './auth-stack';
export type { ExpiringTokenVerifier } from './verified-token-cache';
export { clientAddress } from './client-address';
export { type LoginGuardSettings, type LoginAdmission, LoginGuard } from './login-guard';
export { authStackConfigSchema } from './config';
export type { RefreshTokenRecord, RefreshTokenUse, RefreshTokenStore } from './ports/refresh-token-store';
export type { RevocableSessions } from './ports/revocable-sessions';
export type { RateDecision, RateLimiter } from './ports/rate-limiter';
export { maySendAs, sendAsRefusal } from './sender-policy';
