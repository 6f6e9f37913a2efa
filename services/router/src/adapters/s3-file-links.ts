import type { Collection, Db } from 'mongodb';
import type { FileInfo } from '@hub/domain';
import type { ObjectStore } from '@hub/platform';
import type { FileLinks } from '../ports/file-links';

type KeyDoc = { file_id: string; object_key?: string; status?: string };

/**
 * Adapter: FileLinks over the object store, finding a file's object key in
 * the files service's collections (`files`, or `file_outcomes` when the
 * completion was not copied onto the file yet) and presigning a GET.
 */
export class S3FileLinks implements FileLinks {
  private readonly files: Collection<KeyDoc>;
  private readonly outcomes: Collection<KeyDoc>;

  constructor(
    db: Db,
    private readonly objects: ObjectStore,
    private readonly ttlSeconds: number,
  ) {
    this.files = db.collection<KeyDoc>('files');
    this.outcomes = db.collection<KeyDoc>('file_outcomes');
  }

  async downloadUrl(file: FileInfo): Promise<string | undefined> {
    const doc = (await this.files.findOne({ file_id: file.file_id }, { projection: { _id: 0, object_key: 1, status: 1 } })) ?? undefined;
    let key = doc?.status === 'completed' ? doc.object_key : undefined;
    if (!key) {
      const outcome = await this.outcomes.findOne(
        { file_id: file.file_id, status: 'completed' },
        { projection: { _id: 0, object_key: 1 } },
      );
      key = outcome?.object_key;
    }
    if (!key) return undefined;
    return this.objects.presignGet(key, this.ttlSeconds, { downloadName: file.filename, contentType: file.content_type });
  }
}
