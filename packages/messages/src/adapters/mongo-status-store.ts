import type { Collection, Db } from 'mongodb';
import type { RecordedStatus } from '@hub/domain';
import { isDuplicateKeyError } from '@hub/platform';
import { Collections } from '../collections';
import type { StatusRecord, StatusStore } from '../ports/status-store';

type StatusDoc = Omit<StatusRecord, 'id'> & { _id: string };

/** Adapter: the status log in MongoDB (`status_events`, one document per change, `_id` = event id). */
export class MongoStatusStore implements StatusStore {
  private readonly events: Collection<StatusDoc>;

  constructor(db: Db) {
    this.events = db.collection<StatusDoc>(Collections.statusEvents);
  }

  async append(records: readonly StatusRecord[]): Promise<{ appended: number }> {
    if (records.length === 0) return { appended: 0 };
    const docs: StatusDoc[] = records.map(({ id, ...rest }) => ({ _id: id, ...rest }));
    try {
      const res = await this.events.insertMany(docs, { ordered: false });
      return { appended: res.insertedCount };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const dup = (err as { writeErrors?: unknown[] }).writeErrors;
      return { appended: records.length - (Array.isArray(dup) ? dup.length : 1) };
    }
  }

  async records(messageId: string, limit: number): Promise<StatusRecord[]> {
    const docs = await this.events.find({ message_id: messageId }).limit(limit).toArray();
    return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
  }

  async forMessage(messageId: string): Promise<RecordedStatus[]> {
    const docs = await this.events.find({ message_id: messageId }).toArray();
    return docs.map((d) => {
      const r: RecordedStatus = { recipient: d.recipient, channel: d.channel, status: d.status, at: d.at };
      if (d.detail !== undefined) r.detail = d.detail;
      if (d.external_id !== undefined) r.external_id = d.external_id;
      if (d.reopened === true) r.reopened = true;
      return r;
    });
  }
}
