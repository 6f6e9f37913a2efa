import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_OUTCOMES_COLLECTION } from '@hub/messages';
import { MongoFileCatalog } from '@hub/messages/adapters';
import { connectMongo, ensureIndexes, type MongoHandle } from '@hub/platform';
import { stackEnv } from '../../../../test/support/stack-env';
import type { FileRecord } from '../ports/file-repository';
import { filesIndexes, MongoFileRepository } from './mongo-file-repository';

function record(over: Partial<FileRecord> = {}): FileRecord {
  const file_id = randomUUID();
  return {
    file_id,
    status: 'uploading',
    filename: 'a.pdf',
    size: 10,
    content_type: 'application/pdf',
    sha256: 'a'.repeat(64),
    conversation_id: randomUUID(),
    uploaded_by: 'user:alice',
    upload: { mode: 'single', key: `uploads/${file_id}` },
    created_at: new Date(),
    upload_expires_at: new Date(Date.now() + 900_000),
    ...over,
  };
}

describe('file metadata on MongoDB (real server): repository and the catalog other services read', () => {
  let mongo: MongoHandle;
  let repo: MongoFileRepository;
  let catalog: MongoFileCatalog;

  beforeAll(async () => {
    mongo = await connectMongo({ url: stackEnv().MONGO_URL!, database: `t-${randomUUID().slice(0, 8)}` });
    await ensureIndexes(mongo.db, filesIndexes);
    repo = new MongoFileRepository(mongo.db);
    catalog = new MongoFileCatalog(mongo.db);
  });
  afterAll(async () => {
    await mongo.db.dropDatabase().catch(() => {});
    await mongo.close();
  });

  it('decides completion once, however many try at the same time', async () => {
    const rec = record();
    await repo.insert(rec);
    const wins = await Promise.all(
      Array.from({ length: 8 }, (_, i) => repo.markCompleted(rec.file_id, new Date(), randomUUID(), `files/${rec.file_id}/${i}`)),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    const stored = await repo.get(rec.file_id);
    expect(stored?.status).toBe('completed');
    expect(stored?.object_key).toBe(`files/${rec.file_id}/${wins.indexOf(true)}`);
    expect(await repo.markFailed(rec.file_id, new Date(), { reason: 'size_mismatch', detail: 'x' })).toBe(false);
  });

  it('repairs a decision that was recorded but not applied (a crash in between), on read', async () => {
    const rec = record();
    await repo.insert(rec);
    await mongo.db
      .collection(FILE_OUTCOMES_COLLECTION)
      .insertOne({ file_id: rec.file_id, status: 'completed', at: new Date(), event_id: 'e1', object_key: 'files/x/1' });
    // The catalog reads it as completed without writing.
    expect((await catalog.getFile(rec.file_id))?.status).toBe('completed');
    expect((await mongo.db.collection('files').findOne({ file_id: rec.file_id }))?.status).toBe('uploading');
    const repaired = await repo.get(rec.file_id);
    expect(repaired).toMatchObject({ status: 'completed', object_key: 'files/x/1', event_id: 'e1', event_published: false });
    expect((await mongo.db.collection('files').findOne({ file_id: rec.file_id }))?.status).toBe('completed');
  });

  it('housekeeping claims an abandoned upload against a late completion, and the file then reads as gone', async () => {
    const rec = record();
    await repo.insert(rec);
    expect(await repo.claimAbandoned(rec.file_id, 'uploading')).toBe(true);
    expect(await repo.markCompleted(rec.file_id, new Date(), 'e', 'k')).toBe(false);
    expect(await repo.get(rec.file_id)).toBeUndefined();
    expect(await catalog.getFile(rec.file_id)).toBeUndefined();
    // A pass that crashed after claiming may claim again.
    expect(await repo.claimAbandoned(rec.file_id, 'uploading')).toBe(true);
    await repo.remove(rec.file_id);
    expect(await mongo.db.collection('files').countDocuments({ file_id: rec.file_id })).toBe(0);
    expect(await mongo.db.collection(FILE_OUTCOMES_COLLECTION).countDocuments({ file_id: rec.file_id })).toBe(0);

    const done = record();
    await repo.insert(done);
    await repo.markCompleted(done.file_id, new Date(), 'e', 'k');
    expect(await repo.claimAbandoned(done.file_id, 'uploading')).toBe(false);
  });

  it('the catalog gives other services what a file message needs, and nothing for unknown ids', async () => {
    const rec = record({ filename: 'résumé.pdf', size: 1234 });
    await repo.insert(rec);
    expect(await catalog.getFile(rec.file_id)).toEqual({
      file_id: rec.file_id,
      filename: 'résumé.pdf',
      size: 1234,
      content_type: 'application/pdf',
      sha256: 'a'.repeat(64),
      status: 'uploading',
      uploaded_by: 'user:alice',
      conversation_id: rec.conversation_id,
    });
    await repo.markCompleted(rec.file_id, new Date(), 'e', 'k');
    expect((await catalog.getFile(rec.file_id))?.status).toBe('completed');
    expect(await catalog.getFile(randomUUID())).toBeUndefined();
  });

  it('lists abandoned and unpublished files by age', async () => {
    const old = record({ created_at: new Date(Date.now() - 3_600_000) });
    const young = record();
    await repo.insert(old);
    await repo.insert(young);
    const abandoned = (await repo.findAbandoned(new Date(Date.now() - 60_000), 100)).map((r) => r.file_id);
    expect(abandoned).toContain(old.file_id);
    expect(abandoned).not.toContain(young.file_id);

    await repo.markCompleted(young.file_id, new Date(Date.now() - 120_000), 'e', 'k');
    expect((await repo.findUnpublished(new Date(), 100)).map((r) => r.file_id)).toContain(young.file_id);
    await repo.markEventPublished(young.file_id);
    expect((await repo.findUnpublished(new Date(), 100)).map((r) => r.file_id)).not.toContain(young.file_id);
  });
});
