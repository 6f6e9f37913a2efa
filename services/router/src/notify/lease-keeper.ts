import type { WebhookDeliveryStore } from '@hub/webhooks';
import type { Held } from './endpoint-queues';

/** A delivery's lease in the store with nothing to keep (left unleased, e.g. over the memory limit). */
export const NO_LEASE = 0;

/**
 * Lease keeping: deliveries held here keep their lease in the store while
 * they wait (a busy endpoint's queue), so no other dispatcher takes them
 * over; a crashed dispatcher's leases run out and the recovery scan of
 * another takes its deliveries.
 */
export class LeaseKeeper {
  constructor(
    private readonly store: Pick<WebhookDeliveryStore, 'renew'>,
    /** How long a lease lasts past the moment it is set or renewed. */
    private readonly leaseMs: number,
  ) {}

  /** The lease for deliveries handed over now. */
  fromNow(now = Date.now()): Date {
    return new Date(now + this.leaseMs);
  }

  /** Deliveries past their lease's half-life, whose lease the next renewal extends. */
  dueForRenewal(held: Iterable<Held>, now: number): Held[] {
    const renewBefore = now + this.leaseMs / 2;
    const due: Held[] = [];
    for (const h of held) if (h.leaseUntil !== NO_LEASE && h.leaseUntil < renewBefore) due.push(h);
    return due;
  }

  /** Renews the leases of those past their half-life, in one store write. */
  async renew(held: Iterable<Held>, now = Date.now()): Promise<void> {
    const due = this.dueForRenewal(held, now);
    if (due.length === 0) return;
    const until = this.fromNow(now);
    await this.store.renew(
      due.map((h) => h.d.delivery_id),
      until,
    );
    for (const h of due) h.leaseUntil = until.getTime();
  }
}
