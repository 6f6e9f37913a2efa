import TinyQueue from 'tinyqueue';
import type { WebhookDeliveryRecord } from '@hub/webhooks';

/** A pending webhook delivery held in memory by this process. */
export interface Held {
  d: WebhookDeliveryRecord;
  /** When its next attempt may start (ms since epoch). */
  dueAt: number;
  /** Until when the store's lease on it runs (0: none to keep). */
  leaseUntil: number;
  /** Not before this time either: it waits for earlier statuses of its message (reorder window; 0: no wait). */
  holdUntil: number;
  inFlight: boolean;
  /** Bumped on every (re)queueing, so older heap entries for it are skipped. */
  token: number;
  eq: EndpointQueue;
  group?: MessageGroup;
}

/** The deliveries of one message to one endpoint: one call at a time, lowest order_seq first. */
interface MessageGroup {
  items: Held[];
  /** A call of this message is in flight: the rest waits. */
  busy: boolean;
}

interface Entry {
  at: number;
  seq: number;
  h: Held;
  token: number;
}

/** The deliveries this process holds for one endpoint. */
export interface EndpointQueue {
  webhookId: string;
  /** Due-time heap of this endpoint's eligible deliveries. */
  heap: TinyQueue<Entry>;
  inFlight: number;
  held: number;
  groups: Map<string, MessageGroup>;
}

export interface QueueLimits {
  /** Calls in flight at once in this process. */
  maxInFlight: number;
  /** Calls in flight at once to one endpoint. */
  maxInFlightPerEndpoint: number;
}

/**
 * The dispatcher's endpoint queues, without timers or I/O (the caller
 * passes the time and makes the calls):
 *
 * - Isolation: each endpoint has at most maxInFlightPerEndpoint calls in
 *   flight and the process at most maxInFlight; endpoints are taken in
 *   turn, so a slow or dead receiver holds only its own slots.
 * - Order: the deliveries of one message to one endpoint go one at a time,
 *   lowest order_seq first (status rank, then arrival), including while the
 *   first waits for a retry or for the statuses it implies (holdUntil, set
 *   by the caller from its ReorderWindow).
 */
export class EndpointQueues {
  private readonly queues = new Map<string, EndpointQueue>();
  private readonly held = new Map<string, Held>();
  private seq = 0;
  private rotation = 0;
  private calls = 0;

  /** `wake(at)` is told whenever a delivery becomes eligible at `at`, so the caller can look again then. */
  constructor(
    private readonly limits: QueueLimits,
    private readonly wake: (at: number) => void = () => {},
  ) {}

  get size(): number {
    return this.held.size;
  }

  get inFlight(): number {
    return this.calls;
  }

  get(deliveryId: string): Held | undefined {
    return this.held.get(deliveryId);
  }

  has(deliveryId: string): boolean {
    return this.held.has(deliveryId);
  }

  values(): IterableIterator<Held> {
    return this.held.values();
  }

  ids(): string[] {
    return [...this.held.keys()];
  }

  /** Holds deliveries not held yet, each due at its next_attempt_at, and not before `holdUntil(d)` (when given). */
  add(records: readonly WebhookDeliveryRecord[], holdUntil: (d: WebhookDeliveryRecord) => number = () => 0): Held[] {
    const added: Held[] = [];
    for (const d of records) {
      if (this.held.has(d.delivery_id)) continue;
      const eq = this.queueOf(d.webhook_id);
      const h: Held = {
        d,
        dueAt: d.next_attempt_at.getTime(),
        leaseUntil: d.lease_until.getTime(),
        holdUntil: holdUntil(d),
        token: 0,
        inFlight: false,
        eq,
      };
      added.push(h);
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
    return added;
  }

  /** The wait of a held delivery ends now (what it waited for arrived). */
  release(h: Held): void {
    if (h.holdUntil === 0) return;
    h.holdUntil = 0;
    if (!h.inFlight) this.schedule(h);
  }

  /** Makes a held delivery (not in flight) due at `at`, e.g. now for a manual re-send. */
  dueAt(h: Held, at: number): void {
    h.dueAt = at;
    this.schedule(h);
  }

  /**
   * Takes every due, eligible delivery the limits allow, endpoints in turn,
   * and marks them in flight; `nextAt` is the earliest later due time.
   */
  takeDue(now: number): { due: Held[]; nextAt: number } {
    const queues = [...this.queues.values()];
    const due: Held[] = [];
    let progressed = true;
    const offset = queues.length ? this.rotation++ % queues.length : 0;
    while (progressed && this.calls < this.limits.maxInFlight) {
      progressed = false;
      for (let i = 0; i < queues.length && this.calls < this.limits.maxInFlight; i++) {
        const eq = queues[(offset + i) % queues.length]!;
        if (eq.inFlight >= this.limits.maxInFlightPerEndpoint) continue;
        const top = this.peekLive(eq);
        if (!top || top.at > now) continue;
        eq.heap.pop();
        this.markInFlight(top.h);
        due.push(top.h);
        progressed = true;
      }
    }
    let nextAt = Infinity;
    for (const eq of queues) {
      const top = this.peekLive(eq);
      if (top && top.at > now) nextAt = Math.min(nextAt, top.at);
      if (eq.held === 0 && eq.inFlight === 0) this.queues.delete(eq.webhookId);
    }
    return { due, nextAt };
  }

  /** A call ended: `done` lets the delivery go; otherwise it waits for its (updated) dueAt. The message's next delivery may go now. */
  settle(h: Held, done: boolean): void {
    h.inFlight = false;
    h.eq.inFlight--;
    this.calls--;
    if (h.group) h.group.busy = false;
    if (done) this.forget(h);
    const head = h.group ? h.group.items[0] : h;
    if (head && this.held.has(head.d.delivery_id)) this.schedule(head);
  }

  clear(): void {
    this.held.clear();
    this.queues.clear();
  }

  private markInFlight(h: Held): void {
    h.inFlight = true;
    if (h.group) h.group.busy = true;
    h.eq.inFlight++;
    this.calls++;
  }

  private forget(h: Held): void {
    if (!this.held.delete(h.d.delivery_id)) return;
    h.eq.held--;
    if (h.group) {
      const i = h.group.items.indexOf(h);
      if (i >= 0) h.group.items.splice(i, 1);
      if (h.group.items.length === 0) h.eq.groups.delete(h.d.message_id!);
    }
  }

  private queueOf(webhookId: string): EndpointQueue {
    let eq = this.queues.get(webhookId);
    if (!eq)
      this.queues.set(
        webhookId,
        (eq = {
          webhookId,
          heap: new TinyQueue<Entry>([], (a, b) => a.at - b.at || a.seq - b.seq),
          inFlight: 0,
          held: 0,
          groups: new Map(),
        }),
      );
    return eq;
  }

  private eligible(h: Held): boolean {
    if (h.inFlight || !this.held.has(h.d.delivery_id)) return false;
    return !h.group || (!h.group.busy && h.group.items[0] === h);
  }

  private schedule(h: Held): void {
    h.token++;
    if (!this.eligible(h)) return;
    const at = Math.max(h.dueAt, h.holdUntil);
    h.eq.heap.push({ at, seq: this.seq++, h, token: h.token });
    this.wake(at);
  }

  private peekLive(eq: EndpointQueue): Entry | undefined {
    for (;;) {
      const top = eq.heap.peek();
      if (!top) return undefined;
      if (top.token === top.h.token && this.eligible(top.h)) return top;
      eq.heap.pop();
    }
  }
}

function insertByOrder(items: Held[], h: Held): void {
  const seq = h.d.order_seq ?? 0;
  let i = items.length;
  while (i > 0 && (items[i - 1]!.d.order_seq ?? 0) > seq) i--;
  items.splice(i, 0, h);
}
