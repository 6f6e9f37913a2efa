import type { Collection, Db, Filter } from 'mongodb';
import { isDuplicateKeyError } from '@hub/platform';
import { Collections } from '../collections';
import { decodeCursor, encodeCursor, type RejectedRecord, type RejectedRecordQuery, type RejectedRecords } from '../ports/rejected-records';

type RejectedDoc = Omit<RejectedRecord, 'id'> & { _id: string };

/** Adapter: refused records in MongoDB (`rejected_records`, `_id` = topic:partition:offset). */
export class MongoRejectedRecords implements RejectedRecords {
  private readonly docs: Collection<RejectedDoc>;

  constructor(db: Db) {
    this.docs = db.collection<RejectedDoc>(Collections.rejectedRecords);
  }

  async add(records: readonly RejectedRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.docs.insertMany(
        records.map(({ id, ...rest }) => ({ _id: id, ...rest })),
        { ordered: false },
      );
    } catch (err) {
      // Seen before (a batch redelivered after a failure later in it): already kept.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  async list(q: RejectedRecordQuery): Promise<{ records: RejectedRecord[]; next?: string }> {
    const filter: Filter<RejectedDoc> = {};
    if (q.topic) filter.topic = q.topic;
    const cursor = q.after ? decodeCursor(q.after) : undefined;
    if (cursor) filter.$or = [{ failed_at: { $lt: cursor.failed_at } }, { failed_at: cursor.failed_at, _id: { $lt: cursor.id } }];
    const docs = await this.docs.find(filter).sort({ failed_at: -1, _id: -1 }).limit(q.limit).toArray();
    const records = docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
    const last = records.at(-1);
    return records.length === q.limit && last ? { records, next: encodeCursor(last) } : { records };
  }
}
