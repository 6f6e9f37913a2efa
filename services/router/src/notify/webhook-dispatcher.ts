import { randomUUID } from 'node:crypto';
import TinyQueue from 'tinyqueue';
import { contextFromTraceparent, SpanAttr, startHubSpan, type Logger } from '@hub/platform';
import { SpanKind } from '@opentelemetry/api';
import {
  isDeliverable,
  nextRetryDelay,
  signingSecrets,
  type AttemptOutcome,
  type AttemptRecord,
  type WebhookDeliveryRecord,
  type WebhookDeliveryStore,
  type RetryPolicy,
  type SendRequest,
  type WebhookRegistrations,
  type WebhookRecord,
} from '@hub/webhooks';
import { CoalescingWriter } from './coalescing-writer';
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
  /** Deliveries held in memory at most; more are left in the store for later. */
  maxHeld: number;
  /** How often the API's attempt requests (test events, re-sends) are read. */
  pollIntervalMs: number;
  /** How often deliveries nobody holds are looked for, and held ones' leases renewed. */
  recoveryIntervalMs: number;
  /** How long a lease lasts past the moment it is set or renewed; must exceed the call deadline plus two recovery intervals. */
  leaseMs: number;
  retentionMs: number;
  /** How long stop() lets calls in flight finish before cutting them off (their deliveries stay pending). */
  drainMs: number;
}

export interface SchedulerDeps {
  store: WebhookDeliveryStore;
  registrations: WebhookRegistrations;
  /** Reads a registration from etcd itself, to confirm what the cache says before failing deliveries. */
  loadWebhook: (owner: string, webhookId: string) => Promise<WebhookRecord | undefined>;
  caller: WebhookCaller;
  health: EndpointHealth;
  metrics: NotifyMetrics;
  logger: Logger;
  settings: SchedulerSettings;
}

interface Group {
  items: Held[];
  /** A call of this message is in flight: the rest waits. */
  busy: boolean;
}

interface Held {
  d: WebhookDeliveryRecord;
  dueAt: number;
  leaseUntil: number;
  /** Bumped on every (re)queueing, so older queue entries for it are skipped. */
  token: number;
  inFlight: boolean;
  eq: EndpointQueue;
  group?: Group;
}

interface Entry {
  at: number;
  seq: number;
  h: Held;
  token: number;
}

interface EndpointQueue {
  webhookId: string;
  /** Due-time heap of this endpoint's held deliveries. */
  heap: TinyQueue<Entry>;
  inFlight: number;
  held: number;
  groups: Map<string, Group>;
}

const RETENTION_SWEEP_MS = 3_600_000;
/** A request for a delivery another dispatcher holds is left for it this long, then dropped. */
const REQUEST_STALE_MS = 60_000;
const NO_LEASE = 0;

/**
 * Sends webhook deliveries, one endpoint queue per endpoint. Deliveries are held in
 * memory (leased in the store, so no other dispatcher takes them) and
 * every state change is written to the store by id:
 *
 * - Isolation: each endpoint has at most maxInFlightPerEndpoint calls in
 *   flight and the process at most maxInFlight; a slow or dead receiver
 *   holds only its own slots while other endpoints' deliveries go out at
 *   once.
 * - Order: the deliveries of one message to one endpoint go one at a time,
 *   lowest order_seq first (status rank, then arrival), including while the
 *   first waits for a retry: receivers see sent → delivered → read.
 * - Durability: the store has every delivery. What this process does not
 *   hold (over maxHeld, a crashed dispatcher's leases, API requests) is
 *   picked up by the request poll and the recovery scan.
 */
export class WebhookDispatcher {
  /** This process as a lease holder. */
  readonly owner = randomUUID();
  private readonly queues = new Map<string, EndpointQueue>();
  private readonly held = new Map<string, Held>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private running = false;
  private seq = 0;
  private rotation = 0;
  private dueTimer: NodeJS.Timeout | undefined;
  private dueTimerAt = Infinity;
  private pollTimer: NodeJS.Timeout | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private recovering = false;
  private lastSweep = 0;
  private readonly confirmed = new Map<string, { at: number; reg: WebhookRecord | undefined }>();
  /** Finished deliveries still to be taken off the queue (one batched delete instead of one per delivery). */
  private finishedIds: Array<{ delivery_id: string; finished_at: Date }> = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  /** Finished deliveries go to the log in batches: one insert for all that finished during the previous one. */
  private readonly log: CoalescingWriter<WebhookDeliveryRecord>;

  constructor(private readonly d: SchedulerDeps) {
    this.log = new CoalescingWriter((records) => d.store.finish(records));
  }

  start(): void {
    this.running = true;
    this.pollTimer = setInterval(() => void this.pollRequests(), this.d.settings.pollIntervalMs);
    this.recoveryTimer = setInterval(() => void this.recover(), this.d.settings.recoveryIntervalMs);
    void this.recover();
  }

  /** Stops taking work, lets calls in flight finish for up to drainMs, cuts the rest off, and gives every held delivery back. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.pollTimer);
    clearInterval(this.recoveryTimer);
    clearTimeout(this.dueTimer);
    const drained = Promise.allSettled([...this.inFlight.values()]);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.d.settings.drainMs).unref());
    if ((await Promise.race([drained, timeout])) === 'timeout') {
      this.abort.abort();
      await drained;
    }
    clearTimeout(this.flushTimer);
    await this.flushFinished();
    const ids = [...this.held.keys()];
    if (ids.length > 0) {
      await this.d.store.release(ids).catch((err: unknown) => this.d.logger.warn({ err: { message: (err as Error).message }, held: ids.length }, 'could not release held webhook deliveries; they are taken over when their leases run out'));
    }
    this.held.clear();
    this.queues.clear();
  }

  /** Room for n more deliveries in memory? The intake leases what it will hand over, and leaves the rest unleased. */
  hasRoom(n: number): boolean {
    return this.running && this.held.size + n <= this.d.settings.maxHeld;
  }

  /** The lease for deliveries handed over now. */
  leaseFromNow(): Date {
    return new Date(Date.now() + this.d.settings.leaseMs);
  }

  /** Takes over deliveries leased to this process (new ones from the intake, claimed ones from the store). */
  hold(records: readonly WebhookDeliveryRecord[]): void {
    for (const d of records) {
      if (this.held.has(d.delivery_id)) continue;
      const eq = this.queueOf(d.webhook_id);
      const h: Held = { d, dueAt: d.next_attempt_at.getTime(), leaseUntil: d.lease_until.getTime(), token: 0, inFlight: false, eq };
      this.held.set(d.delivery_id, h);
      eq.held++;
      if (d.message_id !== undefined) {
        let group = eq.groups.get(d.message_id);
        if (!group) eq.groups.set(d.message_id, (group = { items: [], busy: false }));
        h.group = group;
        insertByOrder(group.items, h);
        // Only the group's first may go; it may have changed.
        this.schedule(group.items[0]!);
      } else {
        this.schedule(h);
      }
    }
    this.d.metrics.held.set(this.held.size);
    this.pump();
  }

  get callsInFlight(): number {
    return this.inFlight.size;
  }

  get heldCount(): number {
    return this.held.size;
  }

  private queueOf(webhookId: string): EndpointQueue {
    let eq = this.queues.get(webhookId);
    if (!eq) this.queues.set(webhookId, (eq = { webhookId, heap: new TinyQueue<Entry>([], (a, b) => a.at - b.at || a.seq - b.seq), inFlight: 0, held: 0, groups: new Map() }));
    return eq;
  }

  private eligible(h: Held): boolean {
    if (h.inFlight || !this.held.has(h.d.delivery_id)) return false;
    return !h.group || (!h.group.busy && h.group.items[0] === h);
  }

  private schedule(h: Held): void {
    h.token++;
    if (!this.eligible(h)) return;
    h.eq.heap.push({ at: h.dueAt, seq: this.seq++, h, token: h.token });
    if (h.dueAt < this.dueTimerAt) this.armDueTimer(h.dueAt);
  }

  private armDueTimer(at: number): void {
    if (!this.running) return;
    clearTimeout(this.dueTimer);
    this.dueTimerAt = at;
    this.dueTimer = setTimeout(() => {
      this.dueTimerAt = Infinity;
      this.pump();
    }, Math.max(0, at - Date.now()));
  }

  /** Starts every due, eligible delivery the limits allow, taking endpoints in turn. */
  private pump(): void {
    if (!this.running) return;
    const now = Date.now();
    const queues = [...this.queues.values()];
    let next = Infinity;
    let progressed = true;
    const offset = queues.length ? this.rotation++ % queues.length : 0;
    while (progressed && this.inFlight.size < this.d.settings.maxInFlight) {
      progressed = false;
      for (let i = 0; i < queues.length && this.inFlight.size < this.d.settings.maxInFlight; i++) {
        const eq = queues[(offset + i) % queues.length]!;
        if (eq.inFlight >= this.d.settings.maxInFlightPerEndpoint) continue;
        const h = this.nextDue(eq, now);
        if (!h) continue;
        this.launch(h);
        progressed = true;
      }
    }
    for (const eq of queues) {
      const top = this.peekLive(eq);
      if (top && top.at > now) next = Math.min(next, top.at);
      if (eq.held === 0 && eq.inFlight === 0) this.queues.delete(eq.webhookId);
    }
    if (next < this.dueTimerAt || (this.dueTimerAt <= now && next !== Infinity)) this.armDueTimer(next);
  }

  private peekLive(eq: EndpointQueue): Entry | undefined {
    for (;;) {
      const top = eq.heap.peek();
      if (!top) return undefined;
      if (top.token === top.h.token && this.eligible(top.h)) return top;
      eq.heap.pop();
    }
  }

  private nextDue(eq: EndpointQueue, now: number): Held | undefined {
    const top = this.peekLive(eq);
    if (!top || top.at > now) return undefined;
    eq.heap.pop();
    return top.h;
  }

  private launch(h: Held): void {
    h.inFlight = true;
    if (h.group) h.group.busy = true;
    h.eq.inFlight++;
    this.d.metrics.inFlight.inc();
    const call = this.attempt(h)
      .catch((err: unknown) => {
        // Not recorded: the delivery stays pending in the store and is retried from memory (or, if we die, after its lease).
        this.d.logger.error({ err: { message: (err as Error).message }, delivery_id: h.d.delivery_id, webhook_id: h.d.webhook_id }, 'webhook attempt could not be recorded');
        h.dueAt = Date.now() + this.d.settings.pollIntervalMs;
        return 'retry' as const;
      })
      .then((outcome) => {
        h.inFlight = false;
        h.eq.inFlight--;
        if (h.group) h.group.busy = false;
        this.inFlight.delete(h.d.delivery_id);
        this.d.metrics.inFlight.dec();
        if (outcome === 'done') this.forget(h);
        const head = h.group ? h.group.items[0] : h;
        if (head && this.held.has(head.d.delivery_id)) this.schedule(head);
        this.pump();
      });
    this.inFlight.set(h.d.delivery_id, call);
  }

  private forget(h: Held): void {
    if (!this.held.delete(h.d.delivery_id)) return;
    h.eq.held--;
    if (h.group) {
      const i = h.group.items.indexOf(h);
      if (i >= 0) h.group.items.splice(i, 1);
      if (h.group.items.length === 0) h.eq.groups.delete(h.d.message_id!);
    }
    this.d.metrics.held.set(this.held.size);
  }

  /** One attempt; resolves 'done' when the delivery finished (left memory), 'retry' when it waits for another attempt. */
  private async attempt(h: Held): Promise<'done' | 'retry'> {
    const { store, caller, metrics, settings } = this.d;
    const d = h.d;
    const reg = await this.registration(d);
    if (!reg || !isDeliverable(reg)) {
      const reason = !reg ? 'webhook deleted' : reg.disabled_at ? `webhook disabled: ${reg.disabled_reason ?? 'failing continuously'}` : 'webhook paused (active is false)';
      await this.finishDelivery(d, 'failed', new Date(), { error: reason });
      metrics.attempts.inc({ outcome: 'dropped' });
      return 'done';
    }
    const at = new Date();
    const number = d.attempt_count + 1;
    // Each attempt a child of the event's intake: retries show as siblings under it, numbered.
    const span = startHubSpan(
      'webhook dispatch',
      { [SpanAttr.webhookId]: d.webhook_id, 'hub.webhook_delivery_id': d.delivery_id, 'hub.event_type': d.event_type, [SpanAttr.attempt]: number, ...(d.message_id ? { [SpanAttr.messageId]: d.message_id } : {}) },
      contextFromTraceparent(d.traceparent),
      SpanKind.CLIENT,
    );
    const outcome = await caller.send({ url: reg.url, eventId: d.event_id, body: d.body, secrets: signingSecrets(reg, at), signal: this.abort.signal });
    span.setAttribute(SpanAttr.outcome, outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'aborted' ? 'aborted' : outcome.retryable ? 'failed' : 'refused');
    if (outcome.kind !== 'aborted' && outcome.statusCode !== undefined) span.setAttribute('http.response.status_code', outcome.statusCode);
    span.end();
    if (outcome.kind === 'aborted') return 'retry';
    const attempt: AttemptRecord = { attempt: number, at, latency_ms: outcome.latencyMs, ...(d.manual_retry ? { manual: true } : {}) };
    const now = new Date();
    if (outcome.statusCode !== undefined) attempt.status_code = outcome.statusCode;
    if (outcome.responseBody) attempt.response_body = outcome.responseBody;
    let retryAt: number | undefined;
    if (outcome.kind === 'delivered') {
      await this.finishDelivery(d, 'succeeded', now, { attempt });
    } else {
      attempt.error = outcome.error;
      const delay = outcome.retryable && number < d.max_attempts ? nextRetryDelay(settings.retry, number, outcome.retryAfterMs) : undefined;
      if (delay === undefined) {
        await this.finishDelivery(d, 'failed', now, { attempt });
      } else {
        retryAt = now.getTime() + delay;
        const leaseUntil = retryAt + settings.leaseMs;
        await store.recordRetry(d.delivery_id, attempt, new Date(retryAt), new Date(leaseUntil), now);
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
      this.d.logger.info({ delivery_id: d.delivery_id, webhook_id: d.webhook_id, attempt: number, status_code: outcome.statusCode, error: outcome.error, next: retryAt !== undefined ? new Date(retryAt) : 'failed' }, 'webhook attempt failed');
      await this.d.health.failed(reg, outcome.error, now);
    }
    return retryAt === undefined ? 'done' : 'retry';
  }

  /** Writes the finished delivery to the log and queues its removal from the queue. */
  private async finishDelivery(d: WebhookDeliveryRecord, state: 'succeeded' | 'failed', now: Date, how: { attempt?: AttemptRecord; error?: string }): Promise<void> {
    const attempts = how.attempt ? [...d.attempts, how.attempt] : d.attempts;
    const last = how.attempt;
    const record: WebhookDeliveryRecord = {
      ...d,
      state,
      attempts,
      attempt_count: attempts.length,
      updated_at: now,
      completed_at: now,
    };
    delete record.manual_retry;
    delete record.last_status_code;
    delete record.last_error;
    if (last?.status_code !== undefined) record.last_status_code = last.status_code;
    const error = last ? last.error : how.error;
    if (error) record.last_error = error;
    await this.log.write(record);
    this.finishedIds.push({ delivery_id: d.delivery_id, finished_at: now });
    if (this.finishedIds.length >= 500) void this.flushFinished();
    else this.flushTimer ??= setTimeout(() => void this.flushFinished(), 200);
  }

  private flushFinished(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.finishedIds;
    this.finishedIds = [];
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() =>
      this.d.store.dequeue(ids).catch((err: unknown) => {
        // Left on the queue: whoever claims one later finds it in the log and removes it then.
        this.d.logger.warn({ err: { message: (err as Error).message }, count: ids.length }, 'could not take finished webhook deliveries off the queue');
      }),
    );
    return this.flushing;
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

  /** Serves the API's attempt requests: test events and manual re-sends. */
  private async pollRequests(): Promise<void> {
    if (this.polling || !this.running) return;
    this.polling = true;
    try {
      const requests = await this.d.store.requests(100);
      for (const r of requests) {
        if (!this.running) break;
        const mine = this.held.get(r.delivery_id);
        if (mine) {
          // In flight: its outcome may finish it, so look at the request again once the call is over.
          if (mine.inFlight) continue;
          // A re-send of a delivery we hold: attempt it now rather than at its scheduled time.
          mine.dueAt = Date.now();
          mine.d.manual_retry = true;
          this.schedule(mine);
          await this.d.store.clearRequest(r.delivery_id);
          continue;
        }
        const claimed = this.hasRoom(1) ? await this.d.store.claim(r.delivery_id, new Date(), this.leaseFromNow(), this.owner) : undefined;
        if (claimed) {
          this.hold([claimed]);
          await this.d.store.clearRequest(r.delivery_id);
          continue;
        }
        const current = await this.d.store.pending(r.delivery_id);
        // Done already, gone, or held by another dispatcher for too long to wait for: nothing more to do here.
        if (!current || Date.now() - r.requested_at.getTime() > REQUEST_STALE_MS) await this.d.store.clearRequest(r.delivery_id);
      }
    } catch (err) {
      this.d.logger.warn({ err: { message: (err as Error).message } }, 'reading webhook attempt requests failed; retrying at the next poll');
    } finally {
      this.polling = false;
    }
  }

  /** Takes over due deliveries nobody holds, renews the leases of those held here, and purges old ones. */
  private async recover(): Promise<void> {
    if (this.recovering || !this.running) return;
    this.recovering = true;
    try {
      await this.renewLeases();
      const room = this.d.settings.maxHeld - this.held.size;
      if (room > 0) {
        const now = new Date();
        const found = await this.d.store.recoverable(now, Math.min(room, 500));
        const claimed: WebhookDeliveryRecord[] = [];
        for (const d of found) {
          if (!this.running) break;
          if (this.held.has(d.delivery_id) || this.finishedIds.some((f) => f.delivery_id === d.delivery_id)) continue;
          const c = await this.d.store.claim(d.delivery_id, now, this.leaseFromNow(), this.owner);
          if (c) claimed.push(c);
        }
        if (claimed.length > 0) {
          this.d.logger.info({ recovered: claimed.length }, 'took over pending webhook deliveries');
          this.hold(claimed);
        }
      }
      if (Date.now() - this.lastSweep > RETENTION_SWEEP_MS) {
        this.lastSweep = Date.now();
        const purged = await this.d.store.purgeFinished(new Date(Date.now() - this.d.settings.retentionMs));
        if (purged > 0) this.d.logger.info({ purged }, 'old webhook deliveries purged');
      }
    } catch (err) {
      this.d.logger.warn({ err: { message: (err as Error).message } }, 'webhook recovery pass failed; retrying at the next interval');
    } finally {
      this.recovering = false;
    }
  }

  /** Deliveries waiting here past their lease's half-life (a busy endpoint's queue) keep their lease. */
  private async renewLeases(): Promise<void> {
    const now = Date.now();
    const renewBefore = now + this.d.settings.leaseMs / 2;
    const ids: string[] = [];
    for (const h of this.held.values()) if (h.leaseUntil !== NO_LEASE && h.leaseUntil < renewBefore) ids.push(h.d.delivery_id);
    if (ids.length === 0) return;
    const until = new Date(now + this.d.settings.leaseMs);
    await this.d.store.renew(ids, until);
    for (const id of ids) {
      const h = this.held.get(id);
      if (h) h.leaseUntil = until.getTime();
    }
  }
}

function insertByOrder(items: Held[], h: Held): void {
  const seq = h.d.order_seq ?? 0;
  let i = items.length;
  while (i > 0 && (items[i - 1]!.d.order_seq ?? 0) > seq) i--;
  items.splice(i, 0, h);
}

function eventTimestamp(body: string): number | undefined {
  try {
    const t = Date.parse((JSON.parse(body) as { timestamp?: string }).timestamp ?? '');
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}
