import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** A rate of `points` calls per `durationMs`. */
export interface Rate {
  points: number;
  durationMs: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number };

/**
 * Port: per-provider rate limits, overall and per recipient. `admit` takes
 * one call's worth from both budgets or says how long until it could;
 * `blockRecipient` holds a recipient back after the provider's own 429.
 * Limits live in Redis when several router workers share one bot, in
 * memory otherwise.
 */
export interface ConnectorRateLimiter {
  admit(recipient: string): Promise<Admission>;
  blockRecipient(recipient: string, ms: number): Promise<void>;
}

export interface RateLimitPolicy {
  overall?: Rate;
  perRecipient?: Rate;
}

/** Where the counters live: this process, or a Redis client (ioredis) shared by the workers. */
export type RateLimitStore = { kind: 'memory' } | { kind: 'redis'; client: unknown; keyPrefix: string };

/** Adapter: ConnectorRateLimiter on rate-limiter-flexible (fixed windows, atomic in Redis). */
export class FlexibleRateLimiter implements ConnectorRateLimiter {
  private readonly overall?: RateLimiterAbstract;
  private readonly perRecipient?: RateLimiterAbstract;
  /** Blocks after a provider 429 are kept apart from the per-recipient budget so any policy can honour them. */
  private readonly blocks: RateLimiterAbstract;

  constructor(name: string, policy: RateLimitPolicy, store: RateLimitStore = { kind: 'memory' }) {
    const make = (suffix: string, rate: Rate) => {
      const opts = {
        points: rate.points,
        duration: rate.durationMs / 1000,
        keyPrefix: `${store.kind === 'redis' ? store.keyPrefix : ''}connector:${name}:${suffix}`,
      };
      // rate-limiter-flexible takes the ioredis client as an opaque store; no driver import here.
      return store.kind === 'redis' ? new RateLimiterRedis({ ...opts, storeClient: store.client }) : new RateLimiterMemory(opts);
    };
    if (policy.overall) this.overall = make('all', policy.overall);
    if (policy.perRecipient) this.perRecipient = make('to', policy.perRecipient);
    this.blocks = make('blocked', { points: 1, durationMs: 1_000 });
  }

  async admit(recipient: string): Promise<Admission> {
    const blocked = await this.blocks.get(recipient);
    if (blocked && blocked.consumedPoints > 1 && blocked.msBeforeNext > 0) return { admitted: false, retryAfterMs: blocked.msBeforeNext };
    if (this.perRecipient) {
      const r = await take(this.perRecipient, recipient);
      if (r !== true) return { admitted: false, retryAfterMs: r };
    }
    if (this.overall) {
      const r = await take(this.overall, 'all');
      if (r !== true) {
        // The call does not happen, so it must not use up the recipient's budget either.
        if (this.perRecipient) await this.perRecipient.reward(recipient, 1);
        return { admitted: false, retryAfterMs: r };
      }
    }
    return { admitted: true };
  }

  async blockRecipient(recipient: string, ms: number): Promise<void> {
    // Whole seconds: Redis expiries are set in seconds, and Telegram's retry_after is in seconds too.
    await this.blocks.block(recipient, Math.max(1, Math.ceil(ms / 1000)));
  }
}

async function take(limiter: RateLimiterAbstract, key: string): Promise<true | number> {
  try {
    await limiter.consume(key, 1);
    return true;
  } catch (err) {
    if (err instanceof RateLimiterRes) return Math.max(err.msBeforeNext, 1);
    throw err;
  }
}
