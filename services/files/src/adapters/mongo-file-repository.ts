import type { Collection, Db } from 'mongodb';
import type { FileFailureReason, FileStatus } from '@hub/domain';
import { FILE_OUTCOMES_COLLECTION, FILES_COLLECTION } from '@hub/messages';
import { claimByInsert, type IndexPlan } from '@hub/platform';
import type { FileRecord, FileRepository } from '../ports/file-repository';

export const filesIndexes: IndexPlan = {
  [FILES_COLLECTION]: [
    { key: { file_id: 1 }, unique: true, name: 'file_id_unique' },
    { key: { status: 1, created_at: 1 }, name: 'status_created' },
  ],
  [FILE_OUTCOMES_COLLECTION]: [{ key: { file_id: 1 }, unique: true, name: 'file_id_unique' }],
};

type Outcome =
  | { file_id: string; status: 'completed'; at: Date; event_id: string; object_key: string }
  | { file_id: string; status: 'failed'; at: Date; failure: { reason: FileFailureReason; detail: string } }
  | { file_id: string; status: 'abandoned'; at: Date };

/**
 * Adapter: FileRepository on MongoDB's `files` collection (one document per
 * file, keyed by file_id).
 *
 * A conditional update (`status: 'uploading'` → completed) is not atomic on
 * FerretDB: two concurrent updates may both match. So each file's way out
 * of `uploading` is decided by inserting into `file_outcomes`, whose unique
 * index admits one insert per file on any MongoDB-compatible server; the
 * winner then copies the outcome onto the file. A crash in between is
 * repaired by the next read.
 */
export class MongoFileRepository implements FileRepository {
  private readonly files: Collection<FileRecord>;
  private readonly outcomes: Collection<Outcome>;

  constructor(db: Db) {
    this.files = db.collection<FileRecord>(FILES_COLLECTION);
    this.outcomes = db.collection<Outcome>(FILE_OUTCOMES_COLLECTION);
  }

  async insert(record: FileRecord): Promise<void> {
    await this.files.insertOne(withoutUndefined(record));
  }

  async get(fileId: string): Promise<FileRecord | undefined> {
    const doc = await this.files.findOne({ file_id: fileId }, { projection: { _id: 0 } });
    if (!doc || doc.status !== 'uploading') return doc ?? undefined;
    const outcome = await this.outcomes.findOne({ file_id: fileId }, { projection: { _id: 0 } });
    if (!outcome) return doc;
    if (outcome.status === 'abandoned') return undefined;
    await this.apply(outcome);
    return { ...doc, ...applied(outcome) };
  }

  markCompleted(fileId: string, at: Date, eventId: string, objectKey: string): Promise<boolean> {
    return this.decide({ file_id: fileId, status: 'completed', at, event_id: eventId, object_key: objectKey });
  }

  markFailed(fileId: string, at: Date, failure: { reason: FileFailureReason; detail: string }): Promise<boolean> {
    return this.decide({ file_id: fileId, status: 'failed', at, failure });
  }

  async markEventPublished(fileId: string): Promise<void> {
    await this.files.updateOne({ file_id: fileId }, { $set: { event_published: true } });
  }

  async findAbandoned(cutoff: Date, limit: number): Promise<FileRecord[]> {
    return this.files
      .find({ status: { $in: ['uploading', 'failed'] }, created_at: { $lt: cutoff } }, { projection: { _id: 0 } })
      .sort({ created_at: 1 })
      .limit(limit)
      .toArray();
  }

  async findUnpublished(cutoff: Date, limit: number): Promise<FileRecord[]> {
    return this.files
      .find({ status: 'completed', event_published: false, completed_at: { $lt: cutoff } }, { projection: { _id: 0 } })
      .sort({ completed_at: 1 })
      .limit(limit)
      .toArray();
  }

  async claimAbandoned(fileId: string, status: FileStatus): Promise<boolean> {
    // A failed file is already decided; nothing can complete it any more.
    if (status === 'failed') return true;
    if (await this.decide({ file_id: fileId, status: 'abandoned', at: new Date() })) return true;
    // Claimed by an earlier pass that did not finish, or completed/failed meanwhile.
    return (await this.outcomes.findOne({ file_id: fileId }))?.status === 'abandoned';
  }

  async remove(fileId: string): Promise<void> {
    await this.files.deleteOne({ file_id: fileId });
    await this.outcomes.deleteOne({ file_id: fileId });
  }

  private async decide(outcome: Outcome): Promise<boolean> {
    if (!(await claimByInsert(() => this.outcomes.insertOne(outcome)))) return false;
    await this.apply(outcome);
    return true;
  }

  private async apply(outcome: Outcome): Promise<void> {
    if (outcome.status === 'abandoned') return;
    await this.files.updateOne({ file_id: outcome.file_id, status: 'uploading' }, { $set: applied(outcome) });
  }
}

function applied(outcome: Exclude<Outcome, { status: 'abandoned' }>): Partial<FileRecord> {
  return outcome.status === 'completed'
    ? { status: 'completed', completed_at: outcome.at, event_id: outcome.event_id, event_published: false, object_key: outcome.object_key }
    : { status: 'failed', failed_at: outcome.at, failure: outcome.failure };
}

// The driver would store undefined as null; absent is what the schema means.
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
