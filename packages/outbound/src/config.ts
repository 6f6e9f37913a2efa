import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** Retry and dead-letter settings, merged into the router's config (and the frontend's, for replays). */
export const outboundConfigSchema = z.object({
  /** Provider attempts per external delivery, the first one included; then the dead-letter queue. */
  OUTBOUND_MAX_ATTEMPTS: int(5, 1),
  /** Backoff before the second attempt; doubles per attempt (1 s, 2 s, 4 s, 8 s). */
  OUTBOUND_BACKOFF_BASE_MS: int(1_000, 1),
  /** Spread of each backoff delay, as a share of it (0.2: ±20 %). */
  OUTBOUND_BACKOFF_JITTER: z.coerce.number().min(0).max(1).default(0.2),
  /** How often a delivery waiting behind an earlier message of its lane checks whether its turn has come. */
  OUTBOUND_QUEUE_RECHECK_MS: int(500, 10),
  /** Longest a delivery may be deferred without being tried (breaker open, rate limit) before it is dead-lettered. */
  OUTBOUND_MAX_DEFER_MS: int(10 * 60_000, 1),
  /** Retry records a worker holds in memory waiting for their time; past it the worker stops fetching until some are done. */
  OUTBOUND_RETRY_MAX_IN_MEMORY: int(10_000, 1),
  /** How often the sweeper looks for schedules lost in a crash, and how overdue one must be to count as lost. */
  OUTBOUND_SWEEP_INTERVAL_MS: int(15_000, 100),
  OUTBOUND_SWEEP_GRACE_MS: int(60_000, 100),
});

export type OutboundConfig = z.infer<typeof outboundConfigSchema>;
