import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { authStackConfigSchema } from '@hub/identity';
import {
  baseConfigSchema,
  env,
  loadConfig,
  kafkaConfigSchema,
  mongoConfigSchema,
  etcdConfigSchema,
  redisConfigSchema,
  authConfigSchema,
  corsConfigSchema,
} from '@hub/platform';

export const presenceConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(authConfigSchema.shape)
  .extend(authStackConfigSchema.shape)
  .extend(corsConfigSchema.shape)
  .extend({
    PRESENCE_HOST: env.host(),
    PRESENCE_PORT: env.port(8083),
    /** This gateway node's id in presence entries and its delivery channel (`hub:deliver:{node}`); unset: random per process. */
    PRESENCE_NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-" only, at most 64')
      .default(() => `node-${randomBytes(6).toString('hex')}`),
    /** How long a presence entry lives in Redis unless the node refreshes it; a crashed node's users turn offline after it. */
    PRESENCE_TTL_MS: z.coerce.number().int().min(1_000).default(300_000),
    /** Interval announced in `hello`: the client sends `ping` at least this often. */
    WS_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(25_000),
    /** Heartbeat intervals without any frame from the client before the socket is closed (4002). */
    WS_HEARTBEAT_MISSES: z.coerce.number().int().min(1).max(10).default(2),
    /** Largest frame a client may send, bytes; larger ones close the socket with 1009. */
    WS_MAX_FRAME_BYTES: z.coerce
      .number()
      .int()
      .min(1_024)
      .max(16 * 1_048_576)
      .default(65_536),
    /** Bytes queued for one slow client before it is disconnected with 4003 (it resumes on reconnect). */
    WS_SEND_BUFFER_BYTES: z.coerce.number().int().min(4_096).default(1_048_576),
    /** Frames per second a client may send (token bucket refill rate). */
    WS_RATE_PER_S: z.coerce.number().positive().default(20),
    /** Frames a client may send in one burst (token bucket size). */
    WS_RATE_BURST: env.positiveInt(60),
    /** Conversations (members) kept in memory for `send`, typing and receipts; members never change, so entries only leave by eviction. */
    CONVERSATION_CACHE_SIZE: env.positiveInt(100_000),
    /** Retry-After (seconds) told to a `send` when the message log did not acknowledge (error `unavailable`). */
    ACCEPT_RETRY_AFTER_S: env.positiveInt(2),
    /** How long a client-chosen message id stays claimed by its first sender (seconds): the window for safe retries and for refusing the id to others at accept time. */
    MESSAGE_ID_CLAIM_TTL_S: env.positiveInt(86_400),
    /** Messages read from the store per page when a connection catches up or resumes. */
    CATCH_UP_PAGE_SIZE: z.coerce.number().int().min(1).max(5_000).default(200),
    /** How long a `typing` indicator lasts unless the user types again (sent to peers as `expires_in_ms`). */
    TYPING_TTL_MS: z.coerce.number().int().min(500).default(6_000),
  });

export type PresenceConfig = z.infer<typeof presenceConfigSchema>;

export function loadPresenceConfig(source: Record<string, string | undefined> = process.env): PresenceConfig {
  return loadConfig(presenceConfigSchema, source);
}
