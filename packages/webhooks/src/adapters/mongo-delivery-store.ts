import type { Collection, Db, Filter } from 'mongodb';
import { ensureIndexes, isDuplicateKeyError } from '@hub/platform';
import type { AttemptRecord, DeliveryRecord, NewDelivery } from '../deliveries';
import type { AttemptResult, DeliveryListQuery, DeliveryStore } from '../ports/delivery-store';

export const WEBHOOK_DELIVERIES = 'webhook_deliveries';

type DeliveryDoc = Omit<DeliveryRecord, 'delivery_id'> & { _id: string };

const NO_LEASE = new Date(0);

/** Adapter: DeliveryStore on the MongoDB collection `webhook_deliveries` (one document per event and webhook, attempts embedded). */
export class MongoDeliveryStore implements DeliveryStore {
  private readonly col: Collection<DeliveryDoc>;

  constructor(private readonly db: Db) {
    this.col = db.collection<DeliveryDoc>(WEBHOOK_DELIVERIES);
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.db, {
      [WEBHOOK_DELIVERIES]: [
        // One delivery per event and webhook: Kafka redeliveries of an event insert nothing new.
        { key: { webhook_id: 1, event_id: 1 }, name: 'webhook_event_unique', unique: true },
        { key: { state: 1, next_attempt_at: 1 }, name: 'due' },
        { key: { webhook_id: 1, state: 1, next_attempt_at: 1 }, name: 'due_per_webhook' },
        { key: { webhook_id: 1, message_id: 1, state: 1, order_seq: 1 }, name: 'message_order' },
        { key: { webhook_id: 1, _id: -1 }, name: 'log' },
        { key: { created_at: 1 }, name: 'retention' },
      ],
    });
  }

  async enqueue(deliveries: readonly NewDelivery[]): Promise<number> {
    let rest = deliveries.map(toNewDoc);
    let inserted = 0;
    // Ordered, so that deliveries of one message become visible in event order;
    // a duplicate stops an ordered insert, so continue after it.
    while (rest.length > 0) {
      try {
        const res = await this.col.insertMany(rest, { ordered: true });
        inserted += res.insertedCount;
        break;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const e = err as { writeErrors?: Array<{ index: number }> | { index: number }; result?: { insertedCount?: number }; insertedCount?: number };
        const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
        const failedAt = writeErrors[0]?.index ?? 0;
        inserted += failedAt;
        rest = rest.slice(failedAt + 1);
      }
    }
    return inserted;
  }

  async webhooksWithDueWork(now: Date): Promise<string[]> {
    return (await this.col.distinct('webhook_id', dueFilter(now))) as string[];
  }

  async due(webhookId: string, now: Date, limit: number): Promise<DeliveryRecord[]> {
    const docs = await this.col
      .find({ ...dueFilter(now), webhook_id: webhookId })
      .sort({ next_attempt_at: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toRecord);
  }

  async hasPendingPredecessor(d: Pick<DeliveryRecord, 'delivery_id' | 'webhook_id' | 'message_id' | 'order_seq'>): Promise<boolean> {
    if (d.message_id === undefined || d.order_seq === undefined) return false;
    const earlier = await this.col.findOne({ webhook_id: d.webhook_id, message_id: d.message_id, state: 'pending', order_seq: { $lt: d.order_seq } }, { projection: { _id: 1 } });
    return earlier !== null;
  }

  async claim(deliveryId: string, now: Date, leaseUntil: Date): Promise<DeliveryRecord | undefined> {
    const doc = await this.col.findOneAndUpdate({ _id: deliveryId, ...dueFilter(now) }, { $set: { lease_until: leaseUntil, updated_at: now } }, { returnDocument: 'after' });
    return doc ? toRecord(doc) : undefined;
  }

  async recordAttempt(deliveryId: string, attempt: AttemptRecord, result: AttemptResult, now: Date): Promise<void> {
    const set: Record<string, unknown> = { state: result.state, lease_until: NO_LEASE, updated_at: now };
    const unset: Record<string, ''> = { manual_retry: '' };
    if (result.state === 'pending') set.next_attempt_at = result.next_attempt_at;
    else set.completed_at = now;
    if (attempt.status_code !== undefined) set.last_status_code = attempt.status_code;
    else unset.last_status_code = '';
    if (attempt.error) set.last_error = attempt.error;
    else unset.last_error = '';
    await this.col.updateOne({ _id: deliveryId }, { $set: set, $unset: unset, $inc: { attempt_count: 1 }, $push: { attempts: attempt } });
  }

  async release(deliveryId: string, now: Date): Promise<void> {
    await this.col.updateOne({ _id: deliveryId, state: 'pending' }, { $set: { lease_until: NO_LEASE, next_attempt_at: now, updated_at: now } });
  }

  async failPending(webhookId: string, reason: string, now: Date): Promise<number> {
    const res = await this.col.updateMany(
      { webhook_id: webhookId, state: 'pending', lease_until: { $lte: now } },
      { $set: { state: 'failed', last_error: reason, completed_at: now, updated_at: now }, $unset: { manual_retry: '' } },
    );
    return res.modifiedCount;
  }

  async get(webhookId: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    const doc = await this.col.findOne({ _id: deliveryId, webhook_id: webhookId });
    return doc ? toRecord(doc) : undefined;
  }

  async list(webhookId: string, q: DeliveryListQuery): Promise<DeliveryRecord[]> {
    const filter: Filter<DeliveryDoc> = { webhook_id: webhookId };
    if (q.before) filter._id = { $lt: q.before };
    if (q.state) filter.state = q.state;
    const docs = await this.col.find(filter).sort({ _id: -1 }).limit(q.limit).toArray();
    return docs.map(toRecord);
  }

  async requeue(webhookId: string, deliveryId: string, now: Date): Promise<DeliveryRecord | undefined> {
    for (let i = 0; i < 5; i++) {
      const current = await this.col.findOne({ _id: deliveryId, webhook_id: webhookId });
      if (!current) return undefined;
      // Compare-and-set on what was read, so a concurrent attempt's result is not overwritten.
      const guard = { _id: deliveryId, state: current.state, attempt_count: current.attempt_count };
      const update =
        current.state === 'pending'
          ? { $set: { next_attempt_at: now, manual_retry: true, updated_at: now } }
          : { $set: { state: 'pending' as const, next_attempt_at: now, max_attempts: current.attempt_count + 1, manual_retry: true, updated_at: now }, $unset: { completed_at: '' as const } };
      const doc = await this.col.findOneAndUpdate(guard, update, { returnDocument: 'after' });
      if (doc) return toRecord(doc);
    }
    throw new Error(`delivery ${deliveryId} kept changing while being re-queued`);
  }

  async purgeFinished(before: Date): Promise<number> {
    const res = await this.col.deleteMany({ created_at: { $lt: before }, state: { $ne: 'pending' } });
    return res.deletedCount;
  }
}

function dueFilter(now: Date): Filter<DeliveryDoc> {
  return { state: 'pending', next_attempt_at: { $lte: now }, lease_until: { $lte: now } };
}

function toNewDoc(d: NewDelivery): DeliveryDoc {
  const { delivery_id, ...rest } = d;
  return { _id: delivery_id, ...rest, state: 'pending', attempt_count: 0, next_attempt_at: d.created_at, lease_until: NO_LEASE, updated_at: d.created_at, attempts: [] };
}

function toRecord(doc: DeliveryDoc): DeliveryRecord {
  const { _id, ...rest } = doc;
  return { delivery_id: _id, ...rest };
}
