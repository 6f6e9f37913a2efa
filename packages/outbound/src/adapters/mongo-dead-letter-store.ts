import type { Collection, Db, Filter } from 'mongodb';
import { isDuplicateKeyError, type IndexPlan } from '@hub/platform';
import type { DeadLetterQuery, DeadLetterStore } from '../ports/dead-letter-store';
import type { DeadLetter } from '../records';

type Doc = Omit<DeadLetter, 'id'> & { _id: string };

export const DEAD_LETTERS_COLLECTION = 'dead_letters';
/** One document per replayed dead letter: its unique _id makes "replayed once" atomic (see MongoOutboundLedger on why not a conditional update). */
export const DEAD_LETTER_REPLAYS_COLLECTION = 'dead_letter_replays';

export const deadLetterIndexes: IndexPlan = {
  [DEAD_LETTERS_COLLECTION]: [{ key: { delivery_id: 1, generation: 1 }, name: 'delivery_generation', unique: true }],
};

/** Adapter: DeadLetterStore on MongoDB. Ids are UUIDv7, so sorting by _id lists newest first without another index. */
export class MongoDeadLetterStore implements DeadLetterStore {
  private readonly col: Collection<Doc>;
  private readonly replays: Collection<{ _id: string; by: string; at: Date }>;

  constructor(db: Db) {
    this.col = db.collection<Doc>(DEAD_LETTERS_COLLECTION);
    this.replays = db.collection(DEAD_LETTER_REPLAYS_COLLECTION);
  }

  async add(deadLetter: DeadLetter): Promise<DeadLetter> {
    const { id, ...rest } = deadLetter;
    try {
      await this.col.insertOne({ _id: id, ...rest });
      return deadLetter;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.col.findOne({ delivery_id: deadLetter.delivery_id, generation: deadLetter.generation });
      return existing ? toDeadLetter(existing) : deadLetter;
    }
  }

  async list(q: DeadLetterQuery): Promise<DeadLetter[]> {
    const filter: Filter<Doc> = {};
    if (q.before) filter._id = { $lt: q.before };
    if (q.channel) filter.channel = q.channel;
    if (!q.includeReplayed) filter.replayed_at = { $exists: false };
    const docs = await this.col.find(filter).sort({ _id: -1 }).limit(q.limit).toArray();
    return docs.map(toDeadLetter);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const doc = await this.col.findOne({ _id: id });
    return doc ? toDeadLetter(doc) : undefined;
  }

  async markReplayed(id: string, by: string, at: Date): Promise<{ first: boolean; deadLetter: DeadLetter } | undefined> {
    const existing = await this.get(id);
    if (!existing) return undefined;
    try {
      await this.replays.insertOne({ _id: id, by, at });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return { first: false, deadLetter: existing };
    }
    await this.col.updateOne({ _id: id }, { $set: { replayed_at: at.toISOString(), replayed_by: by } });
    return { first: true, deadLetter: { ...existing, replayed_at: at.toISOString(), replayed_by: by } };
  }
}

function toDeadLetter(doc: Doc): DeadLetter {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}
