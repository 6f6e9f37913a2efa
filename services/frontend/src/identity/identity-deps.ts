import type {
  AuthSessions,
  AuthStack,
  ChannelMappingsRepository,
  ClientsRepository,
  LoginGuard,
  RateLimiter,
  UsersRepository,
  WatchedIdentityDirectory,
} from '@hub/identity';
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
    maxAttemptsPerIp: number;
    /** Failed-login counters per account × address and per account. */
    guard: LoginGuard;
  };
  trustProxy: boolean;
  maxBodyBytes: number;
  logger: Logger;
}
