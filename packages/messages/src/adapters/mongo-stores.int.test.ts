import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, type Conversation, type StoredMessage } from '@hub/domain';
import { connectMongo, ensureIndexes, type MongoHandle } from '@hub/platform';
import { stackEnv } from '../../../../test/support/stack-env';
import { pipelineIndexes } from '../collections';
import { SequenceConflictError } from '../ports/message-store';
import { MongoConversationStore } from './mongo-conversation-store';
import { MongoMessageStore } from './mongo-message-store';
import { MongoStatusStore } from './mongo-status-store';

let mongo: MongoHandle;
let conversations: MongoConversationStore;
let messages: MongoMessageStore;
let statuses: MongoStatusStore;

beforeAll(async () => {
  mongo = await connectMongo({ url: stackEnv().MONGO_URL!, database: `t-${randomUUID()}` });
  await ensureIndexes(mongo.db, pipelineIndexes);
  conversations = new MongoConversationStore(mongo.db);
  messages = new MongoMessageStore(mongo.db);
  statuses = new MongoStatusStore(mongo.db);
});
afterAll(async () => {
  await mongo.db.dropDatabase();
  await mongo.close();
});

const conv = (members: string[], id = newId()): Conversation => ({ conversation_id: id, type: members.length === 2 ? 'direct' : 'group', members, created_at: new Date().toISOString(), created_by: 'user:test' });
const msg = (conversationId: string, seq: number, id = newId()): StoredMessage => ({
  message_id: id,
  conversation_id: conversationId,
  sequence_number: seq,
  from: 'alice',
  to: ['bob'],
  channels: ['internal'],
  payload: { type: 'text', text: `n${seq}` },
  source: 'api',
  accepted_at: new Date().toISOString(),
  stored_at: new Date().toISOString(),
  submitted_by: 'user:alice',
});

describe('MongoConversationStore (real server)', () => {
  it('creates once per id, with a membership per member, and returns the existing one on a repeat', async () => {
    const c = conv(['alice', 'bob']);
    expect(await conversations.create(c)).toEqual({ conversation: c, created: true });
    const again = await conversations.create({ ...c, created_at: new Date(0).toISOString() });
    expect(again).toEqual({ conversation: c, created: false });
    const ms = await mongo.db.collection('memberships').find({ conversation_id: c.conversation_id }).toArray();
    expect(ms.map((m) => [m.username, m.delivered_seq, m.read_seq]).sort()).toEqual([
      ['alice', 0, 0],
      ['bob', 0, 0],
    ]);
  });

  it('lists only a member’s conversations, a page at a time', async () => {
    const user = `u${randomUUID().slice(0, 6)}`;
    const mine = await Promise.all([0, 1, 2].map(() => conversations.create(conv([user, 'zed']))));
    await conversations.create(conv(['zed', 'yan']));
    const first = await conversations.listForMember(user, { limit: 2 });
    expect(first.conversations).toHaveLength(2);
    expect(first.next).toBeDefined();
    const second = await conversations.listForMember(user, { limit: 2, after: first.next! });
    expect(second.next).toBeUndefined();
    expect([...first.conversations, ...second.conversations].map((c) => c.conversation_id).sort()).toEqual(mine.map((m) => m.conversation.conversation_id).sort());
  });

  it('reserves sequence blocks by compare-and-set and records the block', async () => {
    const c = conv(['alice', 'bob']);
    await conversations.create(c);
    expect(await conversations.load(c.conversation_id)).toEqual({ conversationId: c.conversation_id, members: ['alice', 'bob'], lastSeq: 0 });
    const s1 = await conversations.reserve(c.conversation_id, 0, ['a', 'b', 'c']);
    expect(s1).toMatchObject({ lastSeq: 3, reserved: { first: 1, ids: ['a', 'b', 'c'] } });
    // A writer that read lastSeq 0 before that reservation loses.
    expect(await conversations.reserve(c.conversation_id, 0, ['x'])).toBeUndefined();
    expect(await conversations.reserve(c.conversation_id, 3, ['d'])).toMatchObject({ lastSeq: 4, reserved: { first: 4, ids: ['d'] } });
    expect(await conversations.load(newId())).toBeUndefined();
  });

  it('repairs a counter that fell behind the stored messages', async () => {
    const c = conv(['alice', 'bob']);
    await conversations.create(c);
    await messages.insert([msg(c.conversation_id, 1), msg(c.conversation_id, 2)]);
    expect(await conversations.repair(c.conversation_id)).toMatchObject({ lastSeq: 2 });
    expect((await conversations.load(c.conversation_id))?.reserved).toBeUndefined();
  });
});

describe('MongoMessageStore (real server)', () => {
  it('claims in bulk and reports the ids claimed before', async () => {
    const c = newId();
    const [a, b, d] = [newId(), newId(), newId()];
    expect(await messages.claim([a, b].map((message_id) => ({ message_id, conversation_id: c })))).toEqual(new Set());
    expect(await messages.claim([b, d, a].map((message_id) => ({ message_id, conversation_id: c })))).toEqual(new Set([b, a]));
  });

  it('inserts, treats a stored message_id as already stored, and refuses a taken sequence number', async () => {
    const c = newId();
    const m1 = msg(c, 1);
    const m2 = msg(c, 2);
    expect(await messages.insert([m1, m2])).toEqual({ alreadyStored: [] });
    expect(await messages.insert([m2, msg(c, 3)])).toEqual({ alreadyStored: [m2.message_id] });
    await expect(messages.insert([msg(c, 2)])).rejects.toBeInstanceOf(SequenceConflictError);
    expect(await messages.get(m1.message_id)).toEqual(m1);
    expect([...(await messages.findStored([m1.message_id, newId()])).keys()]).toEqual([m1.message_id]);
    expect((await messages.after(c, 1, 10)).map((m) => m.sequence_number)).toEqual([2, 3]);
    expect((await messages.after(c, 0, 2)).map((m) => m.sequence_number)).toEqual([1, 2]);
  });

  it('marks routing done idempotently', async () => {
    const ids = [newId(), newId()];
    await messages.markRouted(ids);
    await messages.markRouted(ids);
    expect(await messages.routed([...ids, newId()])).toEqual(new Set(ids));
  });
});

describe('MongoStatusStore (real server)', () => {
  it('appends once per event id and reads a message’s changes back', async () => {
    const m = newId();
    const base = { message_id: m, conversation_id: newId(), recipient: 'bob', channel: 'internal' as const };
    const pending = { ...base, id: newId(), status: 'pending' as const, at: new Date().toISOString(), detail: 'offline' };
    const delivered = { ...base, id: newId(), status: 'delivered' as const, at: new Date().toISOString() };
    expect(await statuses.append([pending])).toEqual({ appended: 1 });
    expect(await statuses.append([pending, delivered])).toEqual({ appended: 1 });
    const got = await statuses.forMessage(m);
    expect(got.map((s) => s.status).sort()).toEqual(['delivered', 'pending']);
    expect(got.find((s) => s.status === 'pending')).toEqual({ recipient: 'bob', channel: 'internal', status: 'pending', at: pending.at, detail: 'offline' });
  });
});
