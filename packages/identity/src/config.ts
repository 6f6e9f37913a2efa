import { z } from 'zod';
import { env } from '@hub/platform';

/** Settings of the shared authenticated-request stack; services that mount it extend their config with these. */
export const authStackConfigSchema = z.object({
  /** Requests per minute per user or API client (a client's own rate_limit_per_min overrides it). */
  RATE_LIMIT_PER_MIN: env.positiveInt(1000),
});
