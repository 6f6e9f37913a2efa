import { LRUCache } from 'lru-cache';
import { statusRank, type Channel, type Status } from '@hub/domain';
import type { WebhookDeliveryRecord } from '@hub/webhooks';
import type { Held } from './endpoint-queues';

/** What the reorder window needs of a status event (or of a webhook delivery's payload). */
export interface StatusOf {
  message_id: string;
  recipient: string;
  channel: Channel | string;
  status: Status;
}

const ROUTED = (1 << statusRank('pending')) | (1 << statusRank('sent'));
const DELIVERED = 1 << statusRank('delivered');

/**
 * The statuses an event implies were published before it, for the same
 * recipient × channel, as bit masks of ranks, any of each mask: `delivered`
 * follows the routing outcome (`sent`, or `pending`/`retrying` for a
 * recipient reached later); `read` follows that and `delivered`.
 */
function implied(status: Status): number[] {
  if (status === 'delivered') return [ROUTED];
  if (status === 'read') return [ROUTED, DELIVERED];
  return [];
}

/**
 * Per-message status order across producers: `sent` comes from the router
 * and `delivered` from presence, so `delivered` can reach hub.status.v1
 * first. The notify intake tells this window every status it reads; a
 * webhook delivery of an event whose implied statuses have not been seen
 * yet waits until they are, or until `windowMs` after it was created, and
 * then goes anyway (the implied event may never come: lost, or read before
 * a restart). 0 turns the window off.
 */
export class ReorderWindow {
  /** Ranks seen per message × recipient × channel (a bit per rank). */
  private readonly seen: LRUCache<string, number>;

  constructor(
    readonly windowMs: number,
    max = 100_000,
  ) {
    this.seen = new LRUCache({ max });
  }

  /** A status event was read; returns its key (deliveries waiting on that key may go now). */
  saw(e: StatusOf): string {
    const key = keyOf(e);
    this.seen.set(key, (this.seen.get(key) ?? 0) | (1 << statusRank(e.status)));
    return key;
  }

  /** Until when a delivery of this event (created at `createdAt`) waits for the statuses it implies; 0: it need not wait. */
  holdUntil(e: StatusOf, createdAt: number, now: number): number {
    if (this.windowMs === 0) return 0;
    const until = createdAt + this.windowMs;
    if (until <= now) return 0;
    const seen = this.seen.get(keyOf(e)) ?? 0;
    return implied(e.status).every((mask) => (seen & mask) !== 0) ? 0 : until;
  }
}

export function keyOf(e: StatusOf): string {
  return `${e.message_id}|${e.recipient}|${e.channel}`;
}

/** The status event a webhook delivery carries, when it is one that can wait (delivered, read). */
export function waitingStatusOf(d: Pick<WebhookDeliveryRecord, 'message_id' | 'event_type' | 'body'>): StatusOf | undefined {
  if (d.message_id === undefined || (d.event_type !== 'message.delivered' && d.event_type !== 'message.read')) return undefined;
  try {
    const data = (JSON.parse(d.body) as { data?: Partial<StatusOf> }).data;
    if (typeof data?.recipient !== 'string' || typeof data.channel !== 'string' || (data.status !== 'delivered' && data.status !== 'read'))
      return undefined;
    return { message_id: d.message_id, recipient: data.recipient, channel: data.channel, status: data.status };
  } catch {
    return undefined;
  }
}

/**
 * The dispatcher's deliveries waiting in the reorder window, by message ×
 * recipient × channel, so that the status they wait for releases them as
 * soon as the intake reads it.
 */
export class ReorderHolds {
  private readonly waiting = new Map<string, Map<Held, StatusOf>>();
  private readonly keys = new WeakMap<Held, string>();
  /** Keys with waiting deliveries whose statuses were seen since the last releasable(). */
  private readonly touched = new Set<string>();

  constructor(readonly window: ReorderWindow) {}

  /** Until when this delivery waits (0: not at all). */
  holdUntil(d: WebhookDeliveryRecord, now: number): number {
    if (this.window.windowMs === 0) return 0;
    const s = waitingStatusOf(d);
    return s ? this.window.holdUntil(s, d.created_at.getTime(), now) : 0;
  }

  /** Remembers the deliveries that wait, to release them when what they wait for is seen. */
  track(held: readonly Held[]): void {
    for (const h of held) {
      if (h.holdUntil === 0) continue;
      const s = waitingStatusOf(h.d);
      if (!s) continue;
      const key = keyOf(s);
      let list = this.waiting.get(key);
      if (!list) this.waiting.set(key, (list = new Map()));
      list.set(h, s);
      this.keys.set(h, key);
    }
  }

  /** A status event was read (the deliveries it lets go are found by releasable()). */
  saw(e: StatusOf): void {
    const key = this.window.saw(e);
    if (this.waiting.has(key)) this.touched.add(key);
  }

  /**
   * The waiting deliveries that what was seen since the last call lets go.
   * Asked after the deliveries made from the same events are held, so that
   * a `sent` read after its `delivered` goes out before it, not after.
   */
  releasable(now: number): Held[] {
    const go: Held[] = [];
    for (const key of this.touched) {
      const list = this.waiting.get(key);
      if (!list) continue;
      for (const [h, s] of list) {
        if (this.window.holdUntil(s, h.d.created_at.getTime(), now) !== 0) continue;
        go.push(h);
        list.delete(h);
        this.keys.delete(h);
      }
      if (list.size === 0) this.waiting.delete(key);
    }
    this.touched.clear();
    return go;
  }

  /** The delivery no longer waits (its attempt started, or it left memory). */
  untrack(h: Held): void {
    const key = this.keys.get(h);
    if (key === undefined) return;
    this.keys.delete(h);
    const list = this.waiting.get(key);
    list?.delete(h);
    if (list?.size === 0) this.waiting.delete(key);
  }

  /** Deliveries waiting now (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.size;
    return n;
  }

  clear(): void {
    this.waiting.clear();
    this.touched.clear();
  }
}
