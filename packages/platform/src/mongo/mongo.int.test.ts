import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackEnv } from '../../../../test/support/stack-env';
import { connectMongo, ensureIndexes, isDuplicateKeyError, mongoHealthCheck, type IndexPlan, type MongoHandle } from './mongo';

describe('mongo client module (real MongoDB-compatible server)', () => {
  let mongo: MongoHandle;
  const database = `t-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    mongo = await connectMongo({ url: stackEnv().MONGO_URL!, database });
    await ensureIndexes(mongo.db, { messages: [{ key: { message_id: 1 }, unique: true, name: 'message_id_unique' }] });
    // Idempotent: creating the same indexes again is a no-op, not an error.
    await ensureIndexes(mongo.db, { messages: [{ key: { message_id: 1 }, unique: true, name: 'message_id_unique' }] });
  });
  afterAll(async () => {
    await mongo.db.dropDatabase().catch(() => {});
    await mongo.close();
  });

  it("recognises the local stack's server (FerretDB) as one that serves only _id lookups from an index", () => {
    // Stores read by _id on it (MongoMessageStore's history through the slots).
    expect(mongo.idLookupsOnly).toBe(true);
  });

  it('rejects a second document with the same message_id and reports it as a duplicate', async () => {
    const id = randomUUID();
    const messages = mongo.db.collection('messages');
    await messages.insertOne({ message_id: id, text: 'first' });
    const err = await messages.insertOne({ message_id: id, text: 'second' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect(isDuplicateKeyError(err)).toBe(true);
    expect(await messages.countDocuments({ message_id: id })).toBe(1);
    expect((await messages.findOne({ message_id: id }))?.text).toBe('first');
  });

  it('reports duplicates inside an unordered batch while storing the rest', async () => {
    const messages = mongo.db.collection('messages');
    const dup = randomUUID();
    await messages.insertOne({ message_id: dup });
    const fresh = [randomUUID(), randomUUID()];
    const err = await messages
      .insertMany([{ message_id: fresh[0] }, { message_id: dup }, { message_id: fresh[1] }], { ordered: false })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isDuplicateKeyError(err)).toBe(true);
    expect(await messages.countDocuments({ message_id: { $in: [...fresh, dup] } })).toBe(3);
  });

  it('re-creates several existing indexes of one collection without error (a start-up after the first)', async () => {
    const plan: IndexPlan = {
      files: [
        { key: { file_id: 1 }, unique: true, name: 'file_id_unique' },
        { key: { status: 1, created_at: 1 }, name: 'status_created' },
      ],
    };
    await ensureIndexes(mongo.db, plan);
    await ensureIndexes(mongo.db, plan);
    const names = (await mongo.db.collection('files').indexes()).map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['file_id_unique', 'status_created']));
  });

  it('health check passes against the live server', async () => {
    await expect(mongoHealthCheck(mongo.db).check()).resolves.toBeUndefined();
  });
});
