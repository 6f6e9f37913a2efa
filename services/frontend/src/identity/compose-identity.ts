import {
  AuthSessions,
  ChannelMappingsRepository,
  ClientsRepository,
  createAuthStack,
  LoginGuard,
  PasswordHasher,
  UsersRepository,
  WatchedIdentityDirectory,
} from '@hub/identity';
import { RedisRateLimiter, RedisRefreshTokenStore, RedisSessionRevocations } from '@hub/identity/adapters';
import { AccessTokens, ConfigError, type InfraWith, type Logger } from '@hub/platform';
import type { FrontendConfig } from '../config';
import type { IdentityDeps } from './identity-deps';

/**
 * Builds the identity side of the frontend once at boot (called from
 * main.ts): repositories over etcd, the watched directory cache (loaded
 * before the server listens), Redis-backed sessions and limits, and the
 * bootstrapped admin client.
 */
export async function composeIdentity(
  config: FrontendConfig,
  infra: InfraWith<'etcd' | 'redis'>,
  logger: Logger,
): Promise<{ deps: IdentityDeps; stop(): Promise<void> }> {
  if (Boolean(config.ADMIN_CLIENT_ID) !== Boolean(config.ADMIN_CLIENT_SECRET)) {
    throw new ConfigError([
      `${config.ADMIN_CLIENT_ID ? 'ADMIN_CLIENT_SECRET' : 'ADMIN_CLIENT_ID'} is missing: set ADMIN_CLIENT_ID and ADMIN_CLIENT_SECRET together, or neither`,
    ]);
  }
  const kv = infra.etcd;
  const redis = infra.redis;

  const directory = new WatchedIdentityDirectory(kv, logger);
  await directory.ready();
  const users = new UsersRepository(
    kv,
    new PasswordHasher({ memoryKib: config.PASSWORD_HASH_MEMORY_KIB, timeCost: config.PASSWORD_HASH_TIME_COST }),
  );
  const clients = new ClientsRepository(kv);
  const tokens = new AccessTokens({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, accessTtlSeconds: config.ACCESS_TOKEN_TTL_S });
  const refreshTtlMs = config.REFRESH_TOKEN_TTL_S * 1000;
  // A revoked session is remembered as long as its newest refresh token (or any access token) could be presented.
  const revocations = new RedisSessionRevocations(redis, Math.max(refreshTtlMs, config.ACCESS_TOKEN_TTL_S * 1000));
  const sessions = new AuthSessions({
    tokens,
    refreshTokens: new RedisRefreshTokenStore(redis),
    sessions: revocations,
    userExists: async (username) => Boolean(directory.getUser(username) ?? (await users.get(username))),
    refreshTtlMs,
    logger,
  });
  const authStack = createAuthStack({
    tokens,
    revocations,
    clients: directory,
    rateLimiter: new RedisRateLimiter(redis, { name: 'api', windowSeconds: 60 }),
    defaultLimitPerMin: config.RATE_LIMIT_PER_MIN,
    tokenCacheSize: config.TOKEN_CACHE_SIZE,
    logger,
  });

  if (config.ADMIN_CLIENT_ID && config.ADMIN_CLIENT_SECRET) {
    const result = await clients.ensureAdmin(config.ADMIN_CLIENT_ID, config.ADMIN_CLIENT_SECRET);
    logger.info({ client_id: config.ADMIN_CLIENT_ID, result }, 'admin client bootstrapped');
  }

  return {
    deps: {
      users,
      clients,
      mappings: new ChannelMappingsRepository(kv),
      directory,
      sessions,
      authStack,
      loginLimits: {
        perIp: new RedisRateLimiter(redis, { name: 'login-ip', windowSeconds: config.LOGIN_LIMIT_WINDOW_S }),
        maxAttemptsPerIp: config.LOGIN_MAX_ATTEMPTS_PER_IP,
        guard: new LoginGuard(
          new RedisRateLimiter(redis, { name: 'login-fail-addr', windowSeconds: config.LOGIN_LIMIT_WINDOW_S }),
          new RedisRateLimiter(redis, { name: 'login-fail-account', windowSeconds: config.LOGIN_LIMIT_WINDOW_S }),
          {
            maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
            slowdownAfter: config.LOGIN_ACCOUNT_SLOWDOWN_AFTER,
            slowdownMs: config.LOGIN_ACCOUNT_SLOWDOWN_MS,
          },
        ),
      },
      trustProxy: config.TRUST_PROXY,
      maxBodyBytes: config.MAX_BODY_BYTES,
      logger,
    },
    stop: () => directory.stop(),
  };
}
