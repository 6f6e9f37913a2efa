import { randomUUID } from 'node:crypto';
import type { Logger } from '@hub/platform';
import type { RetryPolicy, WebhookDeliveryRecord, WebhookDeliveryStore, WebhookRecord, WebhookRegistrations } from '@hub/webhooks';
import type { EndpointHealth } from './endpoint-health';
import { EndpointQueues, type Held } from './endpoint-queues';
import { FinishedDeliveries } from './finished-deliveries';
import { LeaseKeeper } from './lease-keeper';
import type { NotifyMetrics } from './notify-metrics';
import { ReorderHolds, ReorderWindow, type StatusOf } from './reorder-window';
import { WebhookAttempt, type WebhookCaller } from './webhook-attempt';

export type { WebhookCaller } from './webhook-attempt';

export interface DispatcherSettings {
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
  /** How long a delivered or read event waits for the earlier statuses of its recipient × channel (0: not at all). */
  reorderWindowMs: number;
}

export interface DispatcherDeps {
  store: WebhookDeliveryStore;
  registrations: WebhookRegistrations;
  /** Reads a registration from etcd itself, to confirm what the cache says before failing deliveries. */
  loadWebhook: (owner: string, webhookId: string) => Promise<WebhookRecord | undefined>;
  caller: WebhookCaller;
  health: EndpointHealth;
  metrics: NotifyMetrics;
  logger: Logger;
  settings: DispatcherSettings;
}

const RETENTION_SWEEP_MS = 3_600_000;
/** A request for a delivery another dispatcher holds is left for it this long, then dropped. */
const REQUEST_STALE_MS = 60_000;

/**
 * Sends webhook deliveries. Deliveries are held in memory (leased in the
 * store, so no other dispatcher takes them) and every state change is
 * written to the store by id. Its parts, each in its own file:
 *
 * - EndpointQueues: one queue per endpoint; isolation (in-flight limits
 *   per endpoint and per process) and order (one call at a time per
 *   webhook × message, in status order: receivers see sent → delivered → read).
 * - WebhookAttempt: one signed call and its recorded outcome.
 * - FinishedDeliveries: batched finishing (log inserts, queue deletes).
 * - LeaseKeeper: leases of held deliveries renewed while they wait.
 * - Durability, here: the store has every delivery. What this process does
 *   not hold (over maxHeld, a crashed dispatcher's leases, API requests) is
 *   picked up by the request poll and the recovery scan.
 */
export class WebhookDispatcher {
  /** This process as a lease holder. */
  readonly owner = randomUUID();
  private readonly queues: EndpointQueues;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly finished: FinishedDeliveries;
  private readonly leases: LeaseKeeper;
  private readonly attempt: WebhookAttempt;
  private readonly reorder: ReorderHolds;
  private running = false;
  private dueTimer: NodeJS.Timeout | undefined;
  private dueTimerAt = Infinity;
  private pollTimer: NodeJS.Timeout | undefined;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private recovering = false;
  private lastSweep = 0;
  private readonly abort = new AbortController();

  constructor(private readonly d: DispatcherDeps) {
    const s = d.settings;
    this.queues = new EndpointQueues({ maxInFlight: s.maxInFlight, maxInFlightPerEndpoint: s.maxInFlightPerEndpoint }, (at) => {
      if (at < this.dueTimerAt) this.armDueTimer(at);
    });
    this.finished = new FinishedDeliveries(d.store, d.logger);
    this.leases = new LeaseKeeper(d.store, s.leaseMs);
    this.attempt = new WebhookAttempt({ ...d, finished: this.finished, retry: s.retry, leaseMs: s.leaseMs });
    this.reorder = new ReorderHolds(new ReorderWindow(s.reorderWindowMs));
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
    await this.finished.flush();
    const ids = this.queues.ids();
    if (ids.length > 0) {
      await this.d.store
        .release(ids)
        .catch((err: unknown) =>
          this.d.logger.warn(
            { err: { message: (err as Error).message }, held: ids.length },
            'could not release held webhook deliveries; they are taken over when their leases run out',
          ),
        );
    }
    this.queues.clear();
    this.reorder.clear();
  }

  /** Room for n more deliveries in memory? The intake leases what it will hand over, and leaves the rest unleased. */
  hasRoom(n: number): boolean {
    return this.running && this.queues.size + n <= this.d.settings.maxHeld;
  }

  /** The lease for deliveries handed over now. */
  leaseFromNow(): Date {
    return this.leases.fromNow();
  }

  /** Takes over deliveries leased to this process (new ones from the intake, claimed ones from the store). */
  hold(records: readonly WebhookDeliveryRecord[]): void {
    const now = Date.now();
    this.reorder.track(this.queues.add(records, (d) => this.reorder.holdUntil(d, now)));
    this.d.metrics.held.set(this.queues.size);
    this.releaseWaiting();
  }

  /** A status event the intake read, told before the deliveries made of it are held (reorder window). */
  saw(event: StatusOf): void {
    this.reorder.saw(event);
  }

  /** Lets go the deliveries that waited for statuses seen since (the intake calls it once its batch is held). */
  releaseWaiting(): void {
    for (const h of this.reorder.releasable(Date.now())) this.queues.release(h);
    this.pump();
  }

  get callsInFlight(): number {
    return this.inFlight.size;
  }

  get heldCount(): number {
    return this.queues.size;
  }

  private armDueTimer(at: number): void {
    if (!this.running) return;
    clearTimeout(this.dueTimer);
    this.dueTimerAt = at;
    this.dueTimer = setTimeout(
      () => {
        this.dueTimerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Starts every due delivery the queues let go now, and wakes up for the next. */
  private pump(): void {
    if (!this.running) return;
    const now = Date.now();
    const { due, nextAt } = this.queues.takeDue(now);
    for (const h of due) this.launch(h);
    if (nextAt < this.dueTimerAt || (this.dueTimerAt <= now && nextAt !== Infinity)) this.armDueTimer(nextAt);
  }

  private launch(h: Held): void {
    this.reorder.untrack(h);
    this.d.metrics.inFlight.inc();
    const call = this.attempt
      .run(h, this.abort.signal)
      .catch((err: unknown) => {
        // Not recorded: the delivery stays pending in the store and is retried from memory (or, if we die, after its lease).
        this.d.logger.error(
          { err: { message: (err as Error).message }, delivery_id: h.d.delivery_id, webhook_id: h.d.webhook_id },
          'webhook attempt could not be recorded',
        );
        h.dueAt = Date.now() + this.d.settings.pollIntervalMs;
        return 'retry' as const;
      })
      .then((outcome) => {
        this.inFlight.delete(h.d.delivery_id);
        this.d.metrics.inFlight.dec();
        this.queues.settle(h, outcome === 'done');
        this.d.metrics.held.set(this.queues.size);
        this.pump();
      });
    this.inFlight.set(h.d.delivery_id, call);
  }

  /** Serves the API's attempt requests: test events and manual re-sends. */
  private async pollRequests(): Promise<void> {
    if (this.polling || !this.running) return;
    this.polling = true;
    try {
      const requests = await this.d.store.requests(100);
      for (const r of requests) {
        if (!this.running) break;
        const mine = this.queues.get(r.delivery_id);
        if (mine) {
          // In flight: its outcome may finish it, so look at the request again once the call is over.
          if (mine.inFlight) continue;
          // A re-send of a delivery we hold: attempt it now rather than at its scheduled time.
          mine.d.manual_retry = true;
          this.queues.dueAt(mine, Date.now());
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
      this.d.logger.warn(
        { err: { message: (err as Error).message } },
        'reading webhook attempt requests failed; retrying at the next poll',
      );
    } finally {
      this.polling = false;
    }
  }

  /** Takes over due deliveries nobody holds, renews the leases of those held here, and purges old ones. */
  private async recover(): Promise<void> {
    if (this.recovering || !this.running) return;
    this.recovering = true;
    try {
      await this.leases.renew(this.queues.values());
      const room = this.d.settings.maxHeld - this.queues.size;
      if (room > 0) {
        const now = new Date();
        const found = await this.d.store.recoverable(now, Math.min(room, 500));
        const claimed: WebhookDeliveryRecord[] = [];
        for (const d of found) {
          if (!this.running) break;
          if (this.queues.has(d.delivery_id) || this.finished.awaitsRemoval(d.delivery_id)) continue;
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
}
