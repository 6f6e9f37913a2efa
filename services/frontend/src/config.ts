import { z } from 'zod';
import { authStackConfigSchema, ClientIdSchema } from '@hub/identity';
import { webhookApiConfigSchema, webhookPolicyConfigSchema } from '@hub/webhooks';
import { telegramBridgeConfigSchema } from './telegram/telegram-bridge-config';
import {
  baseConfigSchema,
  env,
  etcdConfigSchema,
  kafkaConfigSchema,
  loadConfig,
  mongoConfigSchema,
  redisConfigSchema,
  authConfigSchema,
  corsConfigSchema,
} from '@hub/platform';

export const frontendConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(authConfigSchema.shape)
  .extend(authStackConfigSchema.shape)
  .extend(corsConfigSchema.shape)
  .extend(webhookPolicyConfigSchema.shape)
  .extend(webhookApiConfigSchema.shape)
  .extend(telegramBridgeConfigSchema.shape)
  .extend({
    FRONTEND_HOST: env.host(),
    FRONTEND_PORT: env.port(8081),
    /** Largest JSON body the API reads. */
    MAX_BODY_BYTES: env.positiveInt(65_536),
    /** API client bootstrapped with the `admin` scope at start (set together with ADMIN_CLIENT_SECRET; unset: none). */
    ADMIN_CLIENT_ID: ClientIdSchema.optional(),
    /** Secret of the bootstrapped admin client; stored only as a digest. */
    ADMIN_CLIENT_SECRET: z.string().min(24, 'must be at least 24 characters (openssl rand -base64 24)').max(256).optional(),
    /** Refresh token lifetime (each rotation issues a new one with this lifetime). */
    REFRESH_TOKEN_TTL_S: env.positiveInt(30 * 24 * 3600),
    /** argon2id memory per password hash, KiB (OWASP baseline 19456; tests lower it). */
    PASSWORD_HASH_MEMORY_KIB: z.coerce.number().int().min(64).max(4_194_304).default(19_456),
    /** argon2id iterations per password hash. */
    PASSWORD_HASH_TIME_COST: z.coerce.number().int().min(1).max(20).default(2),
    /** Window of the login limits below, seconds. */
    LOGIN_LIMIT_WINDOW_S: env.positiveInt(900),
    /** Failed logins on one username (or client id) from one client address per window before that address gets 429 for that account. */
    LOGIN_MAX_FAILURES_PER_ACCOUNT: env.positiveInt(10),
    /** Failed logins on one account from all addresses per window after which every attempt on it is slowed down (never refused). */
    LOGIN_ACCOUNT_SLOWDOWN_AFTER: env.positiveInt(100),
    /** How long each attempt on a slowed-down account waits before its password is checked (0: no wait). */
    LOGIN_ACCOUNT_SLOWDOWN_MS: z.coerce.number().int().min(0).max(30_000).default(2_000),
    /** Register, token and refresh requests per client IP per window. */
    LOGIN_MAX_ATTEMPTS_PER_IP: env.positiveInt(100),
    /** Take the client IP from X-Forwarded-For (only behind a proxy that sets it). */
    TRUST_PROXY: env.bool(false),
    /** Conversations (members) the accept path keeps in memory; members never change, so entries only leave by eviction. */
    CONVERSATION_CACHE_SIZE: env.positiveInt(100_000),
    /** Retry-After (seconds) on a 503 when the message log did not acknowledge a message. */
    ACCEPT_RETRY_AFTER_S: env.positiveInt(2),
    /**
     * Conversation creations naming a username that does not exist, per user
     * per UNKNOWN_MEMBER_WINDOW_S; past it every creation by that user gets
     * 429 until the window ends (caps username discovery; API clients exempt).
     */
    UNKNOWN_MEMBER_LIMIT: env.positiveInt(20),
    UNKNOWN_MEMBER_WINDOW_S: env.positiveInt(3600),
    /** How long a client-chosen message id stays claimed by its first sender (seconds): the window for safe retries and for refusing the id to others at accept time. */
    MESSAGE_ID_CLAIM_TTL_S: env.positiveInt(86_400),
  });

export type FrontendConfig = z.infer<typeof frontendConfigSchema>;

export function loadFrontendConfig(source: Record<string, string | undefined> = process.env): FrontendConfig {
  return loadConfig(frontendConfigSchema, source);
}
