import type { Collection, Db } from 'mongodb';
import type { FileCatalog, FileView } from '@hub/domain';
import { FILE_OUTCOMES_COLLECTION, FILES_COLLECTION } from '../file-collections';

/** The fields of a `files` document this catalog reads (the files service's FileRecord has more). */
type FileDoc = FileView;

type OutcomeDoc = { file_id: string; status: 'completed' | 'failed' | 'abandoned' };

/**
 * Adapter: the read side of file metadata for other services (FileCatalog
 * from @hub/domain), over the files service's collections (file-collections.ts). Read-only: a
 * decision recorded in `file_outcomes` but not yet copied onto the file is
 * merged in memory, so a file reads as completed from the moment its
 * completion was decided.
 */
export class MongoFileCatalog implements FileCatalog {
  private readonly files: Collection<FileDoc>;
  private readonly outcomes: Collection<OutcomeDoc>;

  constructor(db: Db) {
    this.files = db.collection<FileDoc>(FILES_COLLECTION);
    this.outcomes = db.collection<OutcomeDoc>(FILE_OUTCOMES_COLLECTION);
  }

  async getFile(fileId: string): Promise<FileView | undefined> {
    const doc = await this.files.findOne(
      { file_id: fileId },
      {
        projection: { _id: 0, file_id: 1, filename: 1, size: 1, content_type: 1, sha256: 1, status: 1, conversation_id: 1, uploaded_by: 1 },
      },
    );
    if (!doc) return undefined;
    let status = doc.status;
    if (status === 'uploading') {
      const outcome = await this.outcomes.findOne({ file_id: fileId }, { projection: { _id: 0, status: 1 } });
      if (outcome?.status === 'abandoned') return undefined;
      if (outcome) status = outcome.status;
    }
    return {
      file_id: doc.file_id,
      filename: doc.filename,
      size: doc.size,
      content_type: doc.content_type,
      sha256: doc.sha256,
      status,
      uploaded_by: doc.uploaded_by,
      ...(doc.conversation_id ? { conversation_id: doc.conversation_id } : {}),
    };
  }
}
