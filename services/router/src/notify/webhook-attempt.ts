import { contextFromTraceparent, SpanAttr, startHubSpan, type Logger } from '@hub/platform';
import { SpanKind } from '@opentelemetry/api';
import {
  isDeliverable,
  nextRetryDelay,
  signingSecrets,
  type AttemptOutcome,
  type AttemptRecord,
  type RetryPolicy,
  type SendRequest,
  type WebhookDeliveryRecord,
  type WebhookDeliveryStore,
  type WebhookRecord,
  type WebhookRegistrations,
} from '@hub/webhooks';
import type { EndpointHealth } from './endpoint-health';
import type { Held } from './endpoint-queues';
import type { FinishedDeliveries } from './finished-deliveries';
import type { NotifyMetrics } from './notify-metrics';

/** Port: makes one webhook call (WebhookSender). */
export interface WebhookCaller {
  send(req: SendRequest): Promise<AttemptOutcome>;
}

export interface WebhookAttemptDeps {
  store: Pick<WebhookDeliveryStore, 'recordRetry'>;
  registrations: Pick<WebhookRegistrations, 'get'>;
  /** Reads a registration from etcd itself, to confirm what the cache says before failing deliveries. */
  loadWebhook: (owner: string, webhookId: string) => Promise<WebhookRecord | undefined>;
  caller: WebhookCaller;
  health: Pick<EndpointHealth, 'succeeded' | 'failed'>;
  metrics: NotifyMetrics;
  logger: Logger;
  finished: FinishedDeliveries;
  retry: RetryPolicy;
  leaseMs: number;
}

/**
 * One attempt of one held delivery: the registration (dropped when deleted
 * or paused), the signed call, and its outcome recorded: finished
 * (succeeded, or failed for good), or a retry scheduled with its lease.
 */
export class WebhookAttempt {
  private readonly confirmed = new Map<string, { at: number; reg: WebhookRecord | undefined }>();

  constructor(private readonly d: WebhookAttemptDeps) {}

  /** Resolves 'done' when the delivery finished (leaves memory), 'retry' when it waits for another attempt (h.dueAt set). */
  async run(h: Held, signal: AbortSignal): Promise<'done' | 'retry'> {
    const { caller, metrics } = this.d;
    const d = h.d;
    const reg = await this.registration(d);
    if (!reg || !isDeliverable(reg)) {
      const reason = !reg
        ? 'webhook deleted'
        : reg.disabled_at
          ? `webhook disabled: ${reg.disabled_reason ?? 'failing continuously'}`
          : 'webhook paused (active is false)';
      await this.d.finished.finish(d, 'failed', new Date(), { error: reason });
      metrics.attempts.inc({ outcome: 'dropped' });
      return 'done';
    }
    const at = new Date();
    const number = d.attempt_count + 1;
    // Each attempt a child of the event's intake: retries show as siblings under it, numbered.
    const span = startHubSpan(
      'webhook dispatch',
      {
        [SpanAttr.webhookId]: d.webhook_id,
        'hub.webhook_delivery_id': d.delivery_id,
        'hub.event_type': d.event_type,
        [SpanAttr.attempt]: number,
        ...(d.message_id ? { [SpanAttr.messageId]: d.message_id } : {}),
      },
      contextFromTraceparent(d.traceparent),
      SpanKind.CLIENT,
    );
    const outcome = await caller.send({ url: reg.url, eventId: d.event_id, body: d.body, secrets: signingSecrets(reg, at), signal });
    span.setAttribute(
      SpanAttr.outcome,
      outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'aborted' ? 'aborted' : outcome.retryable ? 'failed' : 'refused',
    );
    if (outcome.kind !== 'aborted' && outcome.statusCode !== undefined) span.setAttribute('http.response.status_code', outcome.statusCode);
    span.end();
    if (outcome.kind === 'aborted') return 'retry';
    const attempt: AttemptRecord = { attempt: number, at, latency_ms: outcome.latencyMs, ...(d.manual_retry ? { manual: true } : {}) };
    const now = new Date();
    if (outcome.statusCode !== undefined) attempt.status_code = outcome.statusCode;
    if (outcome.responseBody) attempt.response_body = outcome.responseBody;
    let retryAt: number | undefined;
    if (outcome.kind === 'delivered') {
      await this.d.finished.finish(d, 'succeeded', now, { attempt });
    } else {
      attempt.error = outcome.error;
      const delay = outcome.retryable && number < d.max_attempts ? nextRetryDelay(this.d.retry, number, outcome.retryAfterMs) : undefined;
      if (delay === undefined) {
        await this.d.finished.finish(d, 'failed', now, { attempt });
      } else {
        retryAt = now.getTime() + delay;
        const leaseUntil = retryAt + this.d.leaseMs;
        await this.d.store.recordRetry(d.delivery_id, attempt, new Date(retryAt), new Date(leaseUntil), now);
        d.attempts.push(attempt);
        d.attempt_count = number;
        d.last_error = outcome.error;
        delete d.manual_retry;
        h.dueAt = retryAt;
        h.leaseUntil = leaseUntil;
      }
    }

    const label = outcome.kind === 'delivered' ? 'delivered' : outcome.retryable ? 'failed' : 'refused';
    metrics.attempts.inc({ outcome: label });
    metrics.attemptDuration.observe({ outcome: label }, outcome.latencyMs / 1000);
    if (outcome.kind === 'delivered') {
      const eventTime = eventTimestamp(d.body);
      if (eventTime !== undefined) metrics.deliveryLag.observe(Math.max(0, now.getTime() - eventTime) / 1000);
      await this.d.health.succeeded(reg);
    } else {
      this.d.logger.info(
        {
          delivery_id: d.delivery_id,
          webhook_id: d.webhook_id,
          attempt: number,
          status_code: outcome.statusCode,
          error: outcome.error,
          next: retryAt !== undefined ? new Date(retryAt) : 'failed',
        },
        'webhook attempt failed',
      );
      await this.d.health.failed(reg, outcome.error, now);
    }
    return retryAt === undefined ? 'done' : 'retry';
  }

  /**
   * The webhook as the cache has it; when the cache says it is gone or
   * paused, etcd is asked (a registration made a moment ago may not have
   * reached the cache yet), at most once a second per webhook.
   */
  private async registration(d: WebhookDeliveryRecord): Promise<WebhookRecord | undefined> {
    const cached = this.d.registrations.get(d.webhook_id);
    if (cached && isDeliverable(cached)) return cached;
    const seen = this.confirmed.get(d.webhook_id);
    if (seen && Date.now() - seen.at < 1_000) return seen.reg;
    const reg = await this.d.loadWebhook(d.owner, d.webhook_id);
    if (this.confirmed.size > 10_000) this.confirmed.clear();
    this.confirmed.set(d.webhook_id, { at: Date.now(), reg });
    return reg;
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
