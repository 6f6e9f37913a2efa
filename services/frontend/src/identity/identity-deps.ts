import type { AuthSessions, AuthStack, ChannelMappingsRepository, ClientsRepository, RateLimiter, UsersRepository, WatchedIdentityDirectory } from '@hub/identity';
import type { Logger } from '@hub/platform';

/** Everything the identity routes need, built once at boot (see compose-identity.ts). */
export interface IdentityDeps {
  users: UsersRepository;
  clients: ClientsRepository;
  mappings: ChannelMappingsRepository;
  directory: WatchedIdentityDirectory;
  sessions: AuthSessions;
  /** The shared authenticated-request stack; other route modules mount `authStack.middleware` too. */
  authStack: AuthStack;
  loginLimits: {
    perIp: RateLimiter;
    perAccount: RateLimiter;
    maxAttemptsPerIp: number;
    maxFailuresPerAccount: number;
  };
  trustProxy: boolean;
  maxBodyBytes: number;
  logger: Logger;
}
