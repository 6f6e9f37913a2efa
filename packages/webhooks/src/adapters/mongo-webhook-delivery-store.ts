import type { Collection, Db, Filter } from 'mongodb';
import { claimByInsert, ensureIndexes, isDuplicateKeyError, writeErrorIndexes } from '@hub/platform';
import { newWebhookDeliveryRecord, type AttemptRecord, type WebhookDeliveryRecord, type NewWebhookDelivery } from '../webhook-deliveries';
import type { AttemptRequest, WebhookDeliveryListQuery, WebhookDeliveryStore } from '../ports/webhook-delivery-store';

/** Finished deliveries with every attempt: the delivery log (ARCHITECTURE.md, Stores). */
export const WEBHOOK_DELIVERIES = 'webhook_deliveries';
/** Pending deliveries with the attempts made so far. */
export const WEBHOOK_QUEUE = 'webhook_queue';
/** The API's "attempt this now" notes until a dispatcher takes them. */
export const WEBHOOK_REQUESTS = 'webhook_requests';
/** One document per taken-over lease (`<delivery_id>#<generation>#<updated_at>`): its unique _id makes a takeover exclusive. */
export const WEBHOOK_CLAIMS = 'webhook_claims';

type Doc = Omit<WebhookDeliveryRecord, 'delivery_id'> & { _id: string };
type RequestDoc = Omit<AttemptRequest, 'delivery_id'> & { _id: string };
type ClaimDoc = { _id: string; at: Date };

const NO_LEASE = new Date(0);
const IN_CHUNKS = 500;
/** FerretDB on SQLite refuses a write while another holds the database file; that passes in milliseconds. */
const LOCKED = /database is locked|SQLITE_BUSY/;

/** Repeats a write that met a locked database a few times with growing pauses (about 1.5 s in all), then gives up. */
async function whenUnlocked<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= 5 || !LOCKED.test(String((err as Error | undefined)?.message))) throw err;
      await new Promise((r) => setTimeout(r, 25 * 2 ** attempt + Math.random() * 25));
    }
  }
}

/** Adapter: WebhookDeliveryStore on MongoDB (four collections, see above); every per-delivery read addresses an _id. */
export class MongoWebhookDeliveryStore implements WebhookDeliveryStore {
  private readonly log: Collection<Doc>;
  private readonly queue: Collection<Doc>;
  private readonly req: Collection<RequestDoc>;
  private readonly claims: Collection<ClaimDoc>;

  constructor(private readonly db: Db) {
    this.log = db.collection<Doc>(WEBHOOK_DELIVERIES);
    this.queue = db.collection<Doc>(WEBHOOK_QUEUE);
    this.req = db.collection<RequestDoc>(WEBHOOK_REQUESTS);
    this.claims = db.collection<ClaimDoc>(WEBHOOK_CLAIMS);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.db, {
      // One pending delivery per event and webhook: a Kafka redelivery of an event queues nothing new.
      [WEBHOOK_QUEUE]: [
        { key: { webhook_id: 1, event_id: 1 }, name: 'webhook_event_unique', unique: true },
        { key: { message_id: 1 }, name: 'by_message' },
        { key: { lease_until: 1, next_attempt_at: 1 }, name: 'recoverable' },
      ],
      [WEBHOOK_DELIVERIES]: [
        { key: { webhook_id: 1, _id: -1 }, name: 'log' },
        { key: { message_id: 1 }, name: 'by_message' },
        { key: { created_at: 1 }, name: 'retention' },
      ],
      [WEBHOOK_REQUESTS]: [{ key: { requested_at: 1 }, name: 'oldest_first' }],
      [WEBHOOK_CLAIMS]: [{ key: { at: 1 }, name: 'retention' }],
    });
  }

  async enqueue(
    deliveries: readonly NewWebhookDelivery[],
    leaseUntil: Date,
    owner: string,
  ): Promise<{ inserted: Set<string>; ownedAlready: WebhookDeliveryRecord[] }> {
    const inserted = new Set<string>();
    const skipped: Doc[] = [];
    let rest = deliveries.map((d) => toDoc({ ...newWebhookDeliveryRecord(d, leaseUntil), lease_owner: owner }));
    // Ordered, so deliveries of one message are stored in event order; a duplicate stops an ordered insert, so go on after it.
    while (rest.length > 0) {
      try {
        await whenUnlocked(() => this.queue.insertMany(rest, { ordered: true }));
        for (const d of rest) inserted.add(d._id);
        break;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const failedAt = writeErrorIndexes(err)[0] ?? 0;
        for (const d of rest.slice(0, failedAt)) inserted.add(d._id);
        if (rest[failedAt]) skipped.push(rest[failedAt]!);
        rest = rest.slice(failedAt + 1);
      }
    }
    if (skipped.length === 0) return { inserted, ownedAlready: [] };
    const pending = await this.queue.find({ $or: skipped.map((d) => ({ webhook_id: d.webhook_id, event_id: d.event_id })) }).toArray();
    return { inserted, ownedAlready: pending.filter((d) => d.lease_owner === owner).map(toRecord) };
  }

  /**
   * Exclusive even where a conditional update is not isolated (FerretDB
   * applies findAndModify as read-then-write): claimers that read the same
   * state (lease generation n, last change at t) race to insert the claim
   * document `<id>#<n+1>#<t>`, and a unique _id has exactly one inserter.
   */
  async claim(deliveryId: string, now: Date, leaseUntil: Date, owner: string): Promise<WebhookDeliveryRecord | undefined> {
    const current = await this.queue.findOne({ _id: deliveryId });
    if (!current || current.lease_until.getTime() > now.getTime()) return undefined;
    // Finished by a dispatcher that died before taking it off the queue: take it off now.
    const logged = await this.log.findOne({ _id: deliveryId }, { projection: { _id: 1, updated_at: 1 } });
    if (logged && logged.updated_at.getTime() >= current.updated_at.getTime()) {
      await whenUnlocked(() => this.queue.deleteOne({ _id: deliveryId, updated_at: { $lte: logged.updated_at } }));
      return undefined;
    }
    const generation = (current.lease_gen ?? 0) + 1;
    if (
      !(await claimByInsert(() =>
        whenUnlocked(() => this.claims.insertOne({ _id: `${deliveryId}#${generation}#${current.updated_at.getTime()}`, at: now })),
      ))
    )
      return undefined;
    await whenUnlocked(() =>
      this.queue.updateOne({ _id: deliveryId }, { $set: { lease_until: leaseUntil, lease_gen: generation, lease_owner: owner } }),
    );
    return toRecord({ ...current, lease_until: leaseUntil, lease_gen: generation, lease_owner: owner });
  }

  async recordRetry(deliveryId: string, attempt: AttemptRecord, nextAttemptAt: Date, leaseUntil: Date, now: Date): Promise<void> {
    const set: Record<string, unknown> = { next_attempt_at: nextAttemptAt, lease_until: leaseUntil, updated_at: now };
    const unset: Record<string, ''> = { manual_retry: '' };
    if (attempt.status_code !== undefined) set.last_status_code = attempt.status_code;
    else unset.last_status_code = '';
    if (attempt.error) set.last_error = attempt.error;
    else unset.last_error = '';
    await whenUnlocked(() =>
      this.queue.updateOne({ _id: deliveryId }, { $set: set, $unset: unset, $inc: { attempt_count: 1 }, $push: { attempts: attempt } }),
    );
  }

  async finish(records: readonly WebhookDeliveryRecord[]): Promise<void> {
    if (records.length === 0) return;
    const docs = records.map((r) => {
      const doc = toDoc({ ...r, lease_until: NO_LEASE });
      delete doc.manual_retry;
      delete doc.lease_owner;
      return doc;
    });
    try {
      await whenUnlocked(() => this.log.insertMany(docs, { ordered: false }));
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // A re-sent delivery whose earlier record is still there (the re-send was interrupted): the newer one wins.
      const e = err as { writeErrors?: Array<{ index: number }> | { index: number } };
      const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
      for (const w of writeErrors) await whenUnlocked(() => this.log.replaceOne({ _id: docs[w.index]!._id }, docs[w.index]!));
    }
  }

  async dequeue(finished: ReadonlyArray<{ delivery_id: string; finished_at: Date }>): Promise<void> {
    // A copy re-sent since (manual_retry set by requeue) stays; should a finished one keep that mark, the next claim
    // finds it in the log and takes it off then.
    for (let i = 0; i < finished.length; i += IN_CHUNKS) {
      const ids = finished.slice(i, i + IN_CHUNKS).map((f) => f.delivery_id);
      await whenUnlocked(() => this.queue.deleteMany({ _id: { $in: ids }, manual_retry: { $ne: true } }));
    }
  }

  async release(deliveryIds: readonly string[]): Promise<void> {
    for (let i = 0; i < deliveryIds.length; i += IN_CHUNKS)
      await whenUnlocked(() =>
        this.queue.updateMany(
          { _id: { $in: deliveryIds.slice(i, i + IN_CHUNKS) } },
          { $set: { lease_until: NO_LEASE }, $unset: { lease_owner: '' } },
        ),
      );
  }

  async renew(deliveryIds: readonly string[], leaseUntil: Date): Promise<void> {
    for (let i = 0; i < deliveryIds.length; i += IN_CHUNKS)
      await whenUnlocked(() =>
        this.queue.updateMany({ _id: { $in: deliveryIds.slice(i, i + IN_CHUNKS) } }, { $set: { lease_until: leaseUntil } }),
      );
  }

  async recoverable(now: Date, limit: number): Promise<WebhookDeliveryRecord[]> {
    const docs = await this.queue
      .find({ lease_until: { $lte: now }, next_attempt_at: { $lte: now } })
      .sort({ next_attempt_at: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toRecord);
  }

  async submit(delivery: NewWebhookDelivery): Promise<void> {
    await whenUnlocked(() => this.queue.insertOne(toDoc(newWebhookDeliveryRecord(delivery, NO_LEASE))));
    await this.announce(delivery.delivery_id, delivery.webhook_id, delivery.created_at);
  }

  async requeue(webhookId: string, deliveryId: string, now: Date): Promise<WebhookDeliveryRecord | undefined> {
    const [queued, logged] = await Promise.all([this.queue.findOne({ _id: deliveryId }), this.log.findOne({ _id: deliveryId })]);
    const current = newer(queued, logged);
    if (!current || current.webhook_id !== webhookId) return undefined;
    if (current === queued) {
      const pending = queued;
      await whenUnlocked(() =>
        this.queue.updateOne({ _id: deliveryId }, { $set: { next_attempt_at: now, manual_retry: true, updated_at: now } }),
      );
      await this.announce(deliveryId, webhookId, now);
      return toRecord({ ...pending, next_attempt_at: now, manual_retry: true, updated_at: now });
    }
    const finished = logged!;
    const { completed_at: _done, ...rest } = finished;
    const again: Doc = {
      ...rest,
      state: 'pending',
      next_attempt_at: now,
      max_attempts: finished.attempt_count + 1,
      manual_retry: true,
      updated_at: now,
      lease_until: NO_LEASE,
    };
    // Replaces a stale queue copy (finished, not yet taken off) if there is one.
    await whenUnlocked(() => this.queue.replaceOne({ _id: deliveryId }, again, { upsert: true }));
    // Queue first, then take it out of the log: an interruption in between leaves it in both (the newer copy counts), never in neither.
    await whenUnlocked(() => this.log.deleteOne({ _id: deliveryId }));
    await this.announce(deliveryId, webhookId, now);
    return toRecord(again);
  }

  async requests(limit: number): Promise<AttemptRequest[]> {
    const docs = await this.req.find({}).sort({ requested_at: 1 }).limit(limit).toArray();
    return docs.map(({ _id, ...rest }) => ({ delivery_id: _id, ...rest }));
  }

  async clearRequest(deliveryId: string): Promise<void> {
    await whenUnlocked(() => this.req.deleteOne({ _id: deliveryId }));
  }

  async get(webhookId: string, deliveryId: string): Promise<WebhookDeliveryRecord | undefined> {
    const [queued, logged] = await Promise.all([this.queue.findOne({ _id: deliveryId }), this.log.findOne({ _id: deliveryId })]);
    const doc = newer(queued, logged);
    return doc && doc.webhook_id === webhookId ? toRecord(doc) : undefined;
  }

  async forMessage(messageId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const [queued, logged] = await Promise.all([
      this.queue.find({ message_id: messageId }).limit(limit).toArray(),
      this.log.find({ message_id: messageId }).limit(limit).toArray(),
    ]);
    const byId = new Map<string, Doc>();
    for (const d of [...queued, ...logged]) byId.set(d._id, newer(byId.get(d._id) ?? null, d)!);
    return [...byId.values()].slice(0, limit).map(toRecord);
  }

  async pending(deliveryId: string): Promise<WebhookDeliveryRecord | undefined> {
    const doc = await this.queue.findOne({ _id: deliveryId });
    return doc ? toRecord(doc) : undefined;
  }

  async list(webhookId: string, q: WebhookDeliveryListQuery): Promise<WebhookDeliveryRecord[]> {
    const filter: Filter<Doc> = { webhook_id: webhookId };
    if (q.before) filter._id = { $lt: q.before };
    const fromQueue =
      q.state === undefined || q.state === 'pending' ? await this.queue.find(filter).sort({ _id: -1 }).limit(q.limit).toArray() : [];
    const logFilter: Filter<Doc> = q.state && q.state !== 'pending' ? { ...filter, state: q.state } : filter;
    const fromLog = q.state === 'pending' ? [] : await this.log.find(logFilter).sort({ _id: -1 }).limit(q.limit).toArray();
    // A delivery can briefly be in both (finished and not yet off the queue, or being re-sent): the newer copy counts.
    const byId = new Map<string, Doc>();
    for (const d of [...fromQueue, ...fromLog]) byId.set(d._id, newer(byId.get(d._id) ?? null, d)!);
    return [...byId.values()]
      .filter((d) => q.state === undefined || d.state === q.state)
      .sort((a, b) => (a._id < b._id ? 1 : a._id > b._id ? -1 : 0))
      .slice(0, q.limit)
      .map(toRecord);
  }

  async purgeFinished(before: Date): Promise<number> {
    const res = await whenUnlocked(() => this.log.deleteMany({ created_at: { $lt: before } }));
    await whenUnlocked(() => this.claims.deleteMany({ at: { $lt: before } }));
    return res.deletedCount;
  }

  private async announce(deliveryId: string, webhookId: string, at: Date): Promise<void> {
    await whenUnlocked(() =>
      this.req.updateOne({ _id: deliveryId }, { $set: { webhook_id: webhookId, requested_at: at } }, { upsert: true }),
    );
  }
}

function newer(a: Doc | null, b: Doc | null): Doc | null {
  if (!a || !b) return a ?? b;
  return b.updated_at.getTime() >= a.updated_at.getTime() ? b : a;
}

function toDoc(r: WebhookDeliveryRecord): Doc {
  const { delivery_id, ...rest } = r;
  // Absent, not null: the driver would store an undefined field as null.
  for (const k of Object.keys(rest) as Array<keyof typeof rest>) if (rest[k] === undefined) delete rest[k];
  return { _id: delivery_id, ...rest };
}

function toRecord(doc: Doc): WebhookDeliveryRecord {
  const { _id, ...rest } = doc;
  return { delivery_id: _id, ...rest };
}
