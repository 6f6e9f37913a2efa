import type { DeliveryResult } from '@hub/connectors';
import { backoffDelayMs, type BackoffPolicy, type RetryScheduler } from '@hub/outbound';
import type { ExternalChannel, StoredMessage } from '@hub/domain';
import { observeEndToEnd } from '@hub/platform';
import type { OutboundMetrics } from './outbound-metrics';

export interface RetrySettings {
  backoff: BackoffPolicy;
  /** Fallback re-check of a delivery queued behind an earlier one (it is normally promoted as soon as that one ends). */
  recheckMs: number;
  /** Longest a delivery may be deferred untried (breaker open, rate limit) before it is dead-lettered. */
  maxDeferMs: number;
}

export interface DeliveryContext {
  message: StoredMessage;
  recipient: string;
  channel: ExternalChannel;
  /** Provider calls made before this step. */
  attempts: number;
  firstAttemptAt: Date;
  /** Replays of this delivery so far (dead letters are kept once per generation). */
  generation: number;
  /** No ledger entry exists yet (first try on the routing path). */
  fresh?: boolean;
  /** The open delivery of the lane this one waits behind. */
  prev?: string;
}

export type Step =
  | { step: 'sent'; externalId: string }
  | { step: 'retry' | 'deferred' | 'queued'; detail: string; retryAfterMs?: number }
  | { step: 'dead_letter'; reason: string; detail: string };

/** Failures decided before any provider call: they used no attempt. */
const LOCAL_FAILURES = new Set(['no_mapping', 'channel_disabled', 'file_unavailable']);

/**
 * What follows one try of an external delivery, the same on the routing
 * path and in the retry worker:
 * - a provider failure uses an attempt and is retried after backoff (or the
 *   provider's retry-after, whichever is longer) until the attempts run out;
 * - a try that never reached the provider (breaker open, rate limit) is
 *   deferred without using an attempt, up to `maxDeferMs` in all;
 * - a permanent failure, the last failed attempt, or a deferral past its
 *   limit goes to the dead-letter queue.
 */
export class OutboundSteps {
  constructor(
    private readonly scheduler: RetryScheduler,
    private readonly settings: RetrySettings,
    private readonly metrics?: OutboundMetrics,
    private readonly random: () => number = Math.random,
  ) {}

  async afterAttempt(ctx: DeliveryContext, result: DeliveryResult): Promise<Step> {
    const step = await this.decide(ctx, result);
    this.metrics?.steps.inc({ channel: ctx.channel, step: step.step });
    if (step.step === 'sent' && this.metrics) observeEndToEnd(this.metrics.handedOver, ctx.channel, ctx.message.accepted_at);
    return step;
  }

  /**
   * Parks a delivery behind an earlier message of its lane, without using an
   * attempt. It is promoted as soon as that message ends; the re-check is
   * only a fallback, and waits longer the longer the delivery has waited,
   * so a long queue behind a down provider does not poll the ledger hard.
   */
  async queue(ctx: DeliveryContext, nextAttempt: number): Promise<Step> {
    const detail = `waiting for an earlier message to ${ctx.recipient} on ${ctx.channel}`;
    const waited = Date.now() - ctx.firstAttemptAt.getTime();
    const delayMs = Math.min(Math.max(this.settings.recheckMs, waited / 2), 30_000) * (0.9 + this.random() * 0.2);
    await this.scheduler.scheduleRetry({ ...this.base(ctx), attempts: ctx.attempts, nextAttempt, reason: 'queued', delayMs });
    this.metrics?.steps.inc({ channel: ctx.channel, step: 'queued' });
    return { step: 'queued', detail };
  }

  private async decide(ctx: DeliveryContext, result: DeliveryResult): Promise<Step> {
    if (result.outcome === 'delivered') return { step: 'sent', externalId: result.externalId };
    if (result.outcome === 'permanent') {
      const attempts = ctx.attempts + (LOCAL_FAILURES.has(result.reason) ? 0 : 1);
      return this.deadLetter(ctx, attempts, result.reason, result.error);
    }
    if (result.attempted) {
      const attempts = ctx.attempts + 1;
      if (attempts >= this.settings.backoff.maxAttempts) return this.deadLetter(ctx, attempts, 'attempts_exhausted', result.error);
      const delayMs = Math.max(backoffDelayMs(this.settings.backoff, attempts + 1, this.random), result.retryAfterMs ?? 0);
      await this.scheduler.scheduleRetry({
        ...this.base(ctx),
        attempts,
        nextAttempt: attempts + 1,
        reason: 'retry',
        delayMs,
        lastError: result.error,
      });
      return {
        step: 'retry',
        detail: `attempt ${attempts} failed (${result.error}); next in ${Math.round(delayMs)} ms`,
        retryAfterMs: delayMs,
      };
    }
    if (Date.now() - ctx.firstAttemptAt.getTime() > this.settings.maxDeferMs)
      return this.deadLetter(ctx, ctx.attempts, 'deferred_too_long', result.error);
    // Spread deferred deliveries so they do not all hit a half-open breaker or a fresh rate window at once.
    const wait = Math.max(result.retryAfterMs ?? 0, 100);
    const delayMs = wait + this.random() * Math.min(1_000, wait * 0.5);
    await this.scheduler.scheduleRetry({
      ...this.base(ctx),
      attempts: ctx.attempts,
      nextAttempt: ctx.attempts + 1,
      reason: 'deferred',
      delayMs,
      lastError: result.error,
    });
    return { step: 'deferred', detail: `not tried: ${result.error}`, retryAfterMs: delayMs };
  }

  private async deadLetter(ctx: DeliveryContext, attempts: number, reason: string, error: string): Promise<Step> {
    await this.scheduler.deadLetter({ ...this.base(ctx), attempts, reason, lastError: error, generation: ctx.generation });
    return { step: 'dead_letter', reason, detail: error };
  }

  private base(ctx: DeliveryContext) {
    return {
      message: ctx.message,
      recipient: ctx.recipient,
      channel: ctx.channel,
      firstAttemptAt: ctx.firstAttemptAt,
      ...(ctx.fresh ? { fresh: true } : {}),
      ...(ctx.prev !== undefined ? { prev: ctx.prev } : {}),
    };
  }
}
