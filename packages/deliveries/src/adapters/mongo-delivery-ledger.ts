import type { Collection, Db } from 'mongodb';
import type { ExternalChannel, StoredMessage } from '@hub/domain';
import { isDuplicateKeyError, type IndexPlan } from '@hub/platform';
import type { DeliveryLedger, FinishInput, LedgerEntry, ScheduleInput } from '../ports/delivery-ledger';
import { deliveryId, laneOf } from '../records';

type Doc = Omit<LedgerEntry, 'delivery_id'> & { _id: string };
type ClaimDoc = { _id: string; delivery_id: string; at: Date };

export const DELIVERIES_COLLECTION = 'deliveries';
export const DELIVERY_CLAIMS_COLLECTION = 'delivery_claims';

/** Indexes of the ledger: lane order checks, and the sweeper's overdue scan. */
export const deliveryLedgerIndexes: IndexPlan = {
  [DELIVERIES_COLLECTION]: [
    { key: { lane: 1, state: 1, seq: 1 }, name: 'lane_state_seq' },
    { key: { state: 1, next_at: 1 }, name: 'state_next_at' },
    { key: { recipient: 1, channel: 1, state: 1, updated_at: -1 }, name: 'recipient_channel_state_updated' },
  ],
  [DELIVERY_CLAIMS_COLLECTION]: [{ key: { delivery_id: 1 }, name: 'delivery_id' }],
};

/**
 * Adapter: DeliveryLedger on MongoDB.
 *
 * Who may act on a schedule is decided by inserting a claim document with a
 * unique _id (one per schedule id), not by a conditional update: the
 * MongoDB-compatible server used here (FerretDB 1.x) does not apply
 * `updateOne`/`findOneAndUpdate` filters atomically under concurrency
 * (measured: concurrent conditional updates of one document often all
 * "win"), while unique-key inserts are atomic on it as on MongoDB. Other
 * writes to an entry are made only by the holder of its current claim.
 */
export class MongoDeliveryLedger implements DeliveryLedger {
  private readonly col: Collection<Doc>;
  private readonly claims: Collection<ClaimDoc>;

  constructor(db: Db) {
    this.col = db.collection<Doc>(DELIVERIES_COLLECTION);
    this.claims = db.collection<ClaimDoc>(DELIVERY_CLAIMS_COLLECTION);
  }

  /** True for exactly one caller per claim key. */
  private async takeClaim(key: string, id: string): Promise<boolean> {
    try {
      await this.claims.insertOne({ _id: key, delivery_id: id, at: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async lookup(deliveryIds: string[], lanes: string[]): Promise<{ byId: Map<string, LedgerEntry>; scheduledByLane: Map<string, number[]> }> {
    const byId = new Map<string, LedgerEntry>();
    const scheduledByLane = new Map<string, number[]>();
    if (deliveryIds.length === 0 && lanes.length === 0) return { byId, scheduledByLane };
    const docs = await this.col
      .find({ $or: [{ _id: { $in: deliveryIds } }, { lane: { $in: lanes }, state: 'scheduled' }] }, { projection: { message: 0 } })
      .toArray();
    const wanted = new Set(deliveryIds);
    for (const d of docs) {
      const e = toEntry(d);
      if (wanted.has(e.delivery_id)) byId.set(e.delivery_id, e);
      if (e.state === 'scheduled') {
        const seqs = scheduledByLane.get(e.lane) ?? [];
        seqs.push(e.seq);
        scheduledByLane.set(e.lane, seqs);
      }
    }
    return { byId, scheduledByLane };
  }

  async hasEarlierScheduled(lane: string, seq: number): Promise<boolean> {
    return (await this.col.findOne({ lane, state: 'scheduled', seq: { $lt: seq } }, { projection: { _id: 1 } })) !== null;
  }

  async nextInLane(lane: string): Promise<LedgerEntry | undefined> {
    const doc = await this.col.find({ lane, state: 'scheduled' }).sort({ seq: 1 }).limit(1).next();
    return doc ? toEntry(doc) : undefined;
  }

  async schedule(input: ScheduleInput): Promise<void> {
    const { message, recipient, channel } = input;
    const id = deliveryId(message.message_id, recipient, channel);
    const fields = {
      state: 'scheduled' as const,
      attempts: input.attempts,
      next_attempt: input.next_attempt,
      schedule_id: input.schedule_id,
      next_at: input.next_at,
      message,
      queued: input.queued === true,
      updated_at: new Date(),
      ...(input.last_error !== undefined ? { last_error: input.last_error } : {}),
    };
    const insert = async () => {
      try {
        await this.col.insertOne({ _id: id, ...base(message, recipient, channel, input.first_attempt_at), generation: 0, ...fields });
        return true;
      } catch (err) {
        // Already there: scheduled (update it below) or ended (leave it ended).
        if (isDuplicateKeyError(err)) return false;
        throw err;
      }
    };
    if (input.fresh && (await insert())) return;
    // Two steps instead of one upsert with a state filter: an upsert that
    // misses on the filter would try to insert and hit the _id of an ended entry.
    const updated = await this.col.updateOne({ _id: id, state: 'scheduled' }, { $set: fields });
    if (updated.matchedCount > 0 || input.fresh) return;
    await insert();
  }

  async claim(id: string, scheduleId: string, holdMs: number): Promise<LedgerEntry | undefined> {
    const doc = await this.col.findOne({ _id: id });
    if (!doc || doc.state !== 'scheduled' || doc.schedule_id !== scheduleId) return undefined;
    if (!(await this.takeClaim(`${id}|${scheduleId}`, id))) return undefined;
    const nextAt = new Date(Date.now() + holdMs);
    await this.col.updateOne({ _id: id }, { $set: { next_at: nextAt, updated_at: new Date() } });
    return toEntry({ ...doc, next_at: nextAt });
  }

  async finish(entries: Array<{ message: StoredMessage; recipient: string; channel: ExternalChannel; first_attempt_at: Date } & FinishInput>, opts: { fresh?: boolean } = {}): Promise<void> {
    const now = new Date();
    const fresh: Doc[] = [];
    for (const e of entries) {
      const id = deliveryId(e.message.message_id, e.recipient, e.channel);
      const ended = {
        state: e.state,
        attempts: e.attempts,
        schedule_id: '',
        updated_at: now,
        ...(e.external_id !== undefined ? { external_id: e.external_id } : {}),
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        ...(e.last_error !== undefined ? { last_error: e.last_error } : {}),
      };
      // A failed delivery keeps its message: a dead-letter replay needs it.
      const update = e.state === 'failed' ? { $set: { ...ended, message: e.message } } : { $set: ended, $unset: { message: '' as const } };
      const res = opts.fresh ? { matchedCount: 0 } : await this.col.updateOne({ _id: id, state: 'scheduled' }, update);
      if (res.matchedCount > 0) await this.claims.deleteMany({ delivery_id: id });
      else {
        fresh.push({ _id: id, ...base(e.message, e.recipient, e.channel, e.first_attempt_at), generation: 0, next_attempt: e.attempts, next_at: now, ...ended, ...(e.state === 'failed' ? { message: e.message } : {}) });
      }
    }
    if (fresh.length === 0) return;
    try {
      await this.col.insertMany(fresh, { ordered: false });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  async overdue(now: Date, graceMs: number, limit: number): Promise<LedgerEntry[]> {
    const docs = await this.col.find({ state: 'scheduled', next_at: { $lt: new Date(now.getTime() - graceMs) } }).limit(limit).toArray();
    return docs.map(toEntry);
  }

  async resweep(id: string, seenNextAt: Date, scheduleId: string, nextAt: Date): Promise<boolean> {
    const doc = await this.col.findOne({ _id: id }, { projection: { state: 1, next_at: 1, schedule_id: 1 } });
    if (!doc || doc.state !== 'scheduled' || doc.next_at.getTime() !== seenNextAt.getTime()) return false;
    if (!(await this.takeClaim(`${id}|sweep|${doc.schedule_id}|${seenNextAt.getTime()}`, id))) return false;
    await this.col.updateOne({ _id: id }, { $set: { schedule_id: scheduleId, next_at: nextAt, updated_at: new Date() } });
    return true;
  }

  /** Called only by the caller that won the dead letter's replay mark, so a plain read-then-write is safe. */
  async reopen(id: string, message: StoredMessage, scheduleId: string, nextAt: Date): Promise<LedgerEntry | undefined> {
    const doc = await this.col.findOne({ _id: id });
    if (!doc || doc.state !== 'failed') return undefined;
    const reopened: Doc = { ...doc, state: 'scheduled', attempts: 0, next_attempt: 1, schedule_id: scheduleId, next_at: nextAt, first_attempt_at: nextAt, message, generation: doc.generation + 1, updated_at: new Date() };
    delete reopened.reason;
    delete reopened.external_id;
    await this.col.replaceOne({ _id: id }, reopened);
    return toEntry(reopened);
  }

  async lastDeliveredTo(recipient: string, channel: ExternalChannel, externalId?: string): Promise<LedgerEntry | undefined> {
    const filter = { recipient, channel, state: 'delivered' as const, ...(externalId !== undefined ? { external_id: externalId } : {}) };
    const doc = await this.col.find(filter, { projection: { message: 0 } }).sort({ updated_at: -1 }).limit(1).next();
    return doc ? toEntry(doc) : undefined;
  }

  async get(id: string): Promise<LedgerEntry | undefined> {
    const doc = await this.col.findOne({ _id: id });
    return doc ? toEntry(doc) : undefined;
  }
}

function base(message: StoredMessage, recipient: string, channel: ExternalChannel, firstAttemptAt: Date) {
  return {
    lane: laneOf(message.conversation_id, recipient, channel),
    seq: message.sequence_number,
    message_id: message.message_id,
    conversation_id: message.conversation_id,
    recipient,
    channel,
    first_attempt_at: firstAttemptAt,
  };
}

function toEntry(doc: Doc): LedgerEntry {
  const { _id, ...rest } = doc;
  return { delivery_id: _id, ...rest };
}
