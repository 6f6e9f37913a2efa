import CircuitBreaker from 'opossum';
import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentError, TransientError } from '@hub/domain';
import type { Connector, DeliveryResult, OutboundFile, OutboundText, SentMessage } from '../connector';
import { ProviderRateLimitedError } from '../errors';
import { BREAKER_STATE_VALUE, type BreakerState, type ConnectorMetrics } from './connector-metrics';
import type { ConnectorRateLimiter } from './rate-limiter';

export interface BreakerSettings {
  /** Share of failed calls in the rolling window that opens the breaker. */
  errorThresholdPercentage: number;
  /** Calls needed in the window before the share counts (a single early failure does not open it). */
  volumeThreshold: number;
  rollingWindowMs: number;
  /** How long the breaker stays open before it lets one probe call through (half-open). */
  resetTimeoutMs: number;
}

export interface ResilienceSettings {
  /** Deadline of one provider call; past it the call is aborted and counts as a transient failure. */
  timeoutMs: number;
  breaker: BreakerSettings;
  rateLimiter?: ConnectorRateLimiter;
  /**
   * A call the rate limit would delay by at most this long waits inline;
   * a longer delay comes back as `retryable` (`rate_limited`) so the caller
   * can park it instead of holding its partition.
   */
  maxRateWaitMs: number;
}

/** The subset of a pino logger the wrapper uses, so this package needs no logger of its own. */
export interface ConnectorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

type Op = (signal: AbortSignal) => Promise<SentMessage>;

/**
 * The one resilience layer every connector goes through: per-recipient and
 * overall rate limits (the provider's 429 `retry_after` holds the recipient
 * back), a deadline per call, an opossum circuit breaker per connector that
 * counts only transient failures, and metrics. It turns every outcome into a
 * `DeliveryResult` and never throws, so the router decides retries from data.
 */
export class ResilientConnector {
  private readonly breaker: CircuitBreaker<[Op, AbortController], SentMessage>;
  private openedAt = 0;
  private readonly listeners = new Set<(state: BreakerState) => void>();

  constructor(
    readonly connector: Connector,
    private readonly settings: ResilienceSettings,
    private readonly deps: { metrics?: ConnectorMetrics; logger?: ConnectorLogger } = {},
  ) {
    this.breaker = new CircuitBreaker((op: Op, controller: AbortController) => op(controller.signal), {
      name: connector.channel,
      timeout: settings.timeoutMs,
      errorThresholdPercentage: settings.breaker.errorThresholdPercentage,
      volumeThreshold: settings.breaker.volumeThreshold,
      rollingCountTimeout: settings.breaker.rollingWindowMs,
      rollingCountBuckets: 10,
      resetTimeout: settings.breaker.resetTimeoutMs,
      // opossum would otherwise sort every latency of the window on each failure
      // (bench/connectors: a fifteenth of the failing calls/s; docs/performance.md);
      // latency is observed by our own histogram instead.
      rollingPercentilesEnabled: false,
      // A refusal about one message (bad chat, flood control for one chat)
      // says nothing about the provider's health: only outages open the breaker.
      errorFilter: (err: unknown) => err instanceof PermanentError || err instanceof ProviderRateLimitedError,
    });
    this.breaker.on('open', () => {
      this.openedAt = Date.now();
      this.transition('open');
    });
    this.breaker.on('halfOpen', () => this.transition('half_open'));
    this.breaker.on('close', () => this.transition('closed'));
    deps.metrics?.breakerState.set({ connector: this.channel }, 0);
  }

  get channel(): Connector['channel'] {
    return this.connector.channel;
  }

  get capabilities(): Connector['capabilities'] {
    return this.connector.capabilities;
  }

  breakerState(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half_open';
    return 'closed';
  }

  /** Calls back on every breaker state change (tests and logs observe open → half-open → closed). */
  onBreakerStateChange(listener: (state: BreakerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  deliver(message: OutboundText): Promise<DeliveryResult> {
    return this.run(message.to, (signal) => this.connector.send(message, { signal }));
  }

  deliverFile(message: OutboundFile): Promise<DeliveryResult> {
    return this.run(message.to, (signal) => this.connector.sendFile(message, { signal }));
  }

  /** The provider's own health plus the breaker: an open breaker reads as unhealthy without calling the provider. */
  async health(): Promise<{ channel: string; ok: boolean; breaker: BreakerState; error?: string }> {
    const breaker = this.breakerState();
    if (breaker === 'open') return { channel: this.channel, ok: false, breaker, error: 'circuit breaker open' };
    try {
      await this.connector.health();
      return { channel: this.channel, ok: true, breaker };
    } catch (err) {
      return { channel: this.channel, ok: false, breaker, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.breaker.shutdown();
    await this.connector.close?.();
  }

  private async run(recipient: string, op: Op): Promise<DeliveryResult> {
    const result = await this.attempt(recipient, op);
    this.deps.metrics?.calls.inc({ connector: this.channel, result: result.outcome === 'retryable' ? result.reason : result.outcome });
    return result;
  }

  private async attempt(recipient: string, op: Op): Promise<DeliveryResult> {
    // An open breaker answers before the rate limit so a down provider costs no budget.
    if (this.breaker.opened) return this.breakerOpenResult();
    const admission = await this.admit(recipient);
    if (admission) return admission;

    const controller = new AbortController();
    const started = performance.now();
    try {
      const sent = await this.breaker.fire(op, controller);
      this.observe(started);
      return { outcome: 'delivered', externalId: sent.externalId };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EOPENBREAKER') return this.breakerOpenResult();
      this.observe(started);
      if (code === 'ETIMEDOUT') {
        controller.abort();
        this.failure('timeout');
        return { outcome: 'retryable', reason: 'timeout', error: `no answer within ${this.settings.timeoutMs} ms`, attempted: true };
      }
      if (err instanceof ProviderRateLimitedError) {
        this.failure('provider_rate_limited');
        const wait = err.retryAfterMs ?? 1_000;
        await this.settings.rateLimiter?.blockRecipient(recipient, wait).catch((e: unknown) => this.limiterTrouble(e));
        return { outcome: 'retryable', reason: 'provider_rate_limited', error: err.message, retryAfterMs: wait, attempted: true };
      }
      if (err instanceof PermanentError) {
        this.failure('permanent');
        return { outcome: 'permanent', reason: err.reason, error: err.message };
      }
      this.failure('transient');
      if (!(err instanceof TransientError))
        this.deps.logger?.warn(
          { connector: this.channel, err: { name: (err as Error).name, message: (err as Error).message } },
          'connector threw an untyped error; treated as transient',
        );
      return {
        outcome: 'retryable',
        reason: 'provider_error',
        error: (err as Error).message,
        ...(err instanceof TransientError && err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
        attempted: true,
      };
    }
  }

  /** undefined when the call may go ahead; a `rate_limited` result when it would have to wait too long. */
  private async admit(recipient: string): Promise<DeliveryResult | undefined> {
    const limiter = this.settings.rateLimiter;
    if (!limiter) return undefined;
    for (let tries = 0; tries < 3; tries++) {
      let admission;
      try {
        admission = await limiter.admit(recipient);
      } catch (err) {
        // Fail open: the provider's own 429s still protect it, and a stalled limiter store must not stall delivery.
        this.limiterTrouble(err);
        return undefined;
      }
      if (admission.admitted) return undefined;
      if (admission.retryAfterMs > this.settings.maxRateWaitMs) {
        return {
          outcome: 'retryable',
          reason: 'rate_limited',
          error: 'rate limit reached',
          retryAfterMs: admission.retryAfterMs,
          attempted: false,
        };
      }
      await sleep(admission.retryAfterMs);
    }
    return {
      outcome: 'retryable',
      reason: 'rate_limited',
      error: 'rate limit reached',
      retryAfterMs: this.settings.maxRateWaitMs || 100,
      attempted: false,
    };
  }

  private breakerOpenResult(): DeliveryResult {
    const retryAfterMs = Math.max(0, this.openedAt + this.settings.breaker.resetTimeoutMs - Date.now());
    return {
      outcome: 'retryable',
      reason: 'breaker_open',
      error: `${this.channel} circuit breaker is open`,
      retryAfterMs,
      attempted: false,
    };
  }

  private observe(started: number): void {
    this.deps.metrics?.latency.observe({ connector: this.channel }, (performance.now() - started) / 1000);
  }

  private failure(kind: string): void {
    this.deps.metrics?.failures.inc({ connector: this.channel, kind });
  }

  private limiterTrouble(err: unknown): void {
    this.deps.logger?.warn(
      { connector: this.channel, err: { message: (err as Error).message } },
      'rate limiter unavailable; letting the call through',
    );
  }

  private transition(state: BreakerState): void {
    this.deps.metrics?.breakerState.set({ connector: this.channel }, BREAKER_STATE_VALUE[state]);
    this.deps.metrics?.breakerTransitions.inc({ connector: this.channel, state });
    this.deps.logger?.info({ connector: this.channel, breaker: state }, `connector circuit breaker ${state.replace('_', '-')}`);
    for (const l of this.listeners) l(state);
  }
}
