import type { Collection, Db } from 'mongodb';
import type { FileCatalog, FileView } from '@hub/domain';
import type { FileRecord } from '../ports/file-repository';
import { FILES_COLLECTION } from './mongo-file-repository';

/**
 * Adapter: the read side of file metadata for other services (FileCatalog
 * from @hub/domain), over the files service's `files` collection.
 */
export class MongoFileCatalog implements FileCatalog {
  private readonly files: Collection<FileRecord>;

  constructor(db: Db) {
    this.files = db.collection<FileRecord>(FILES_COLLECTION);
  }

  async getFile(fileId: string): Promise<FileView | undefined> {
    const doc = await this.files.findOne(
      { file_id: fileId },
      { projection: { _id: 0, file_id: 1, filename: 1, size: 1, content_type: 1, sha256: 1, status: 1, conversation_id: 1, uploaded_by: 1 } },
    );
    if (!doc) return undefined;
    return {
      file_id: doc.file_id,
      filename: doc.filename,
      size: doc.size,
      content_type: doc.content_type,
      sha256: doc.sha256,
      status: doc.status,
      uploaded_by: doc.uploaded_by,
      ...(doc.conversation_id ? { conversation_id: doc.conversation_id } : {}),
    };
  }
}
