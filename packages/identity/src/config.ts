import { z } from 'zod';
import { env } from '@hub/platform';
import { DEFAULT_TOKEN_CACHE_SIZE } from './verified-token-cache';

/** Settings of the shared authenticated-request stack; services that mount it extend their config with these. */
export const authStackConfigSchema = z.object({
  /** Requests per minute per user or API client (a client's own rate_limit_per_min overrides it). */
  RATE_LIMIT_PER_MIN: env.positiveInt(1000),
  /** Verified access tokens remembered per process (skips the HMAC for a token seen before); 0 turns the cache off. */
  TOKEN_CACHE_SIZE: z.coerce.number().int().min(0).default(DEFAULT_TOKEN_CACHE_SIZE),
});
