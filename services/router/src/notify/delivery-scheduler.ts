import type { Logger } from '@hub/platform';
import {
  isDeliverable,
  nextRetryDelay,
  signingSecrets,
  type AttemptOutcome,
  type AttemptRecord,
  type AttemptResult,
  type DeliveryRecord,
  type DeliveryStore,
  type RetryPolicy,
  type SendRequest,
  type WebhookDirectory,
  type WebhookRecord,
} from '@hub/webhooks';
import type { EndpointHealth } from './endpoint-health';
import type { NotifyMetrics } from './notify-metrics';

/** Port: makes one webhook call (WebhookSender). */
export interface WebhookCaller {
  send(req: SendRequest): Promise<AttemptOutcome>;
}

export interface SchedulerSettings {
  retry: RetryPolicy;
  maxInFlight: number;
  maxInFlightPerEndpoint: number;
  pollIntervalMs: number;
  /** How long a claimed attempt is ours; longer than the call deadline, so a live dispatcher never loses it mid-call. */
  leaseMs: number;
  retentionMs: number;
  /** How long stop() lets calls in flight finish before cutting them off (they are then re-sent later). */
  drainMs: number;
}

export interface SchedulerDeps {
  store: DeliveryStore;
  directory: WebhookDirectory;
  /** Reads a registration from the store itself, to confirm what the cache says before failing a webhook's deliveries. */
  loadWebhook: (owner: string, webhookId: string) => Promise<WebhookRecord | undefined>;
  caller: WebhookCaller;
  health: EndpointHealth;
  metrics: NotifyMetrics;
  logger: Logger;
  settings: SchedulerSettings;
}

const RETENTION_SWEEP_MS = 3_600_000;

/**
 * Sends due deliveries from the durable queue (webhook_deliveries), one
 * lane per endpoint: each endpoint has at most maxInFlightPerEndpoint calls
 * in flight and the process at most maxInFlight, so a slow or dead receiver
 * occupies only its own slots while every other endpoint's deliveries go
 * out at normal speed. Work is looked up per endpoint, so a long backlog of
 * one endpoint never hides another's.
 *
 * Order: deliveries of one message to one endpoint go one at a time, in
 * the order of their events (a delivery waits while an earlier one of the
 * same message is still pending, including while that one waits for a
 * retry), so receivers see sent → delivered → read in that order.
 *
 * A pass runs when woken (new events), after each finished call, and every
 * pollIntervalMs (retries that came due, re-sends and test events queued by
 * the API, work a crashed dispatcher left behind).
 */
export class DeliveryScheduler {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perEndpoint = new Map<string, { calls: number; messages: Set<string> }>();
  private running = false;
  private passing = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private rotation = 0;
  private lastSweep = 0;
  private readonly abort = new AbortController();

  constructor(private readonly d: SchedulerDeps) {}

  start(): void {
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.d.settings.pollIntervalMs);
    this.wake();
  }

  /** Asks for a pass now (or right after the one running). */
  wake(): void {
    if (!this.running) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    void this.runPasses();
  }

  /** Stops taking work, lets calls in flight finish for up to drainMs, then cuts the rest off (their deliveries stay due). */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    const drained = Promise.allSettled([...this.inFlight.values()]);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.d.settings.drainMs).unref());
    if ((await Promise.race([drained, timeout])) === 'timeout') {
      this.abort.abort();
      await drained;
    }
  }

  get callsInFlight(): number {
    return this.inFlight.size;
  }

  private async runPasses(): Promise<void> {
    this.passing = true;
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && this.running);
    } catch (err) {
      this.d.logger.warn({ err: { message: (err as Error).message } }, 'webhook scheduling pass failed; retrying at the next poll');
    } finally {
      this.passing = false;
    }
  }

  private async pass(): Promise<void> {
    const { store, directory, settings } = this.d;
    const now = new Date();
    const webhookIds = await store.webhooksWithDueWork(now);
    // Start at a different endpoint each pass, so when the process-wide limit is reached the same endpoints do not always come last.
    const start = webhookIds.length ? this.rotation++ % webhookIds.length : 0;
    for (let i = 0; i < webhookIds.length && this.running; i++) {
      const webhookId = webhookIds[(start + i) % webhookIds.length]!;
      const globalFree = settings.maxInFlight - this.inFlight.size;
      if (globalFree <= 0) break;
      const reg = directory.get(webhookId);
      if (!isDeliverable(reg)) {
        await this.failUndeliverable(webhookId, now);
        continue;
      }
      const lane = this.lane(webhookId);
      const free = Math.min(settings.maxInFlightPerEndpoint - lane.calls, globalFree);
      if (free <= 0) continue;
      // Ask for more than the free slots: some candidates wait behind an earlier event of their message.
      const candidates = await store.due(webhookId, now, free * 4);
      const seenMessages = new Set(lane.messages);
      let started = 0;
      for (const c of candidates) {
        if (started >= free || !this.running) break;
        // One call per message at a time: a message with a call in flight (or started in this pass) waits.
        if (c.message_id !== undefined && (seenMessages.has(c.message_id) || (await store.hasPendingPredecessor(c)))) continue;
        const claimed = await store.claim(c.delivery_id, new Date(), new Date(Date.now() + settings.leaseMs));
        if (!claimed) continue;
        if (c.message_id !== undefined) seenMessages.add(c.message_id);
        this.launch(claimed);
        started++;
      }
    }
    if (Date.now() - this.lastSweep > RETENTION_SWEEP_MS) {
      this.lastSweep = Date.now();
      const purged = await store.purgeFinished(new Date(Date.now() - settings.retentionMs));
      if (purged > 0) this.d.logger.info({ purged }, 'old webhook deliveries purged');
    }
  }

  private lane(webhookId: string): { calls: number; messages: Set<string> } {
    let lane = this.perEndpoint.get(webhookId);
    if (!lane) this.perEndpoint.set(webhookId, (lane = { calls: 0, messages: new Set() }));
    return lane;
  }

  private launch(d: DeliveryRecord): void {
    const lane = this.lane(d.webhook_id);
    lane.calls++;
    if (d.message_id !== undefined) lane.messages.add(d.message_id);
    this.d.metrics.inFlight.inc();
    const call = this.attempt(d)
      .catch((err: unknown) => {
        // The lease runs out and the delivery is attempted again: at least once, never lost.
        this.d.logger.error({ err: { message: (err as Error).message }, delivery_id: d.delivery_id, webhook_id: d.webhook_id }, 'webhook attempt could not be recorded');
      })
      .finally(() => {
        this.inFlight.delete(d.delivery_id);
        lane.calls--;
        if (d.message_id !== undefined) lane.messages.delete(d.message_id);
        if (lane.calls === 0) this.perEndpoint.delete(d.webhook_id);
        this.d.metrics.inFlight.dec();
        this.wake();
      });
    this.inFlight.set(d.delivery_id, call);
  }

  private async attempt(d: DeliveryRecord): Promise<void> {
    const { store, directory, caller, metrics, settings } = this.d;
    // The current registration: a rotated secret or changed URL applies from the next attempt on.
    const reg = directory.get(d.webhook_id);
    if (!isDeliverable(reg)) {
      await store.release(d.delivery_id, new Date());
      return;
    }
    const at = new Date();
    const outcome = await caller.send({ url: reg.url, eventId: d.event_id, body: d.body, secrets: signingSecrets(reg, at), signal: this.abort.signal });
    if (outcome.kind === 'aborted') {
      await store.release(d.delivery_id, new Date());
      return;
    }
    const number = d.attempt_count + 1;
    const attempt: AttemptRecord = { attempt: number, at, latency_ms: outcome.latencyMs, ...(d.manual_retry ? { manual: true } : {}) };
    let result: AttemptResult;
    const now = new Date();
    if (outcome.kind === 'delivered') {
      attempt.status_code = outcome.statusCode;
      if (outcome.responseBody) attempt.response_body = outcome.responseBody;
      result = { state: 'succeeded' };
    } else {
      if (outcome.statusCode !== undefined) attempt.status_code = outcome.statusCode;
      if (outcome.responseBody) attempt.response_body = outcome.responseBody;
      attempt.error = outcome.error;
      const delay = outcome.retryable && number < d.max_attempts ? nextRetryDelay(settings.retry, number, outcome.retryAfterMs) : undefined;
      result = delay === undefined ? { state: 'failed' } : { state: 'pending', next_attempt_at: new Date(now.getTime() + delay) };
    }
    await store.recordAttempt(d.delivery_id, attempt, result, now);

    const label = outcome.kind === 'delivered' ? 'delivered' : outcome.retryable ? 'failed' : 'refused';
    metrics.attempts.inc({ outcome: label });
    metrics.attemptDuration.observe({ outcome: label }, outcome.latencyMs / 1000);
    if (outcome.kind === 'delivered') {
      const eventTime = eventTimestamp(d.body);
      if (eventTime !== undefined) metrics.deliveryLag.observe(Math.max(0, now.getTime() - eventTime) / 1000);
      await this.d.health.succeeded(reg);
    } else {
      this.d.logger.info({ delivery_id: d.delivery_id, webhook_id: d.webhook_id, attempt: number, status_code: outcome.statusCode, error: outcome.error, next: result.state === 'pending' ? result.next_attempt_at : result.state }, 'webhook attempt failed');
      await this.d.health.failed(reg, outcome.error, now);
    }
  }

  /**
   * The cache says the webhook is gone, paused or disabled. Confirm with
   * the store (a registration made a moment ago may not have reached the
   * cache), then fail its pending deliveries so they show why in the log.
   */
  private async failUndeliverable(webhookId: string, now: Date): Promise<void> {
    const [sample] = await this.d.store.due(webhookId, now, 1);
    if (!sample) return;
    const reg = await this.d.loadWebhook(sample.owner, webhookId);
    if (reg?.active && !reg.disabled_at) return;
    const reason = !reg ? 'webhook deleted' : reg.disabled_at ? `webhook disabled: ${reg.disabled_reason ?? 'failing continuously'}` : 'webhook paused (active is false)';
    const failed = await this.d.store.failPending(webhookId, reason, now);
    if (failed > 0) this.d.logger.info({ webhook_id: webhookId, failed, reason }, 'pending webhook deliveries failed');
  }
}

function eventTimestamp(body: string): number | undefined {
  try {
    const t = Date.parse((JSON.parse(body) as { timestamp?: string }).timestamp ?? '');
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}
