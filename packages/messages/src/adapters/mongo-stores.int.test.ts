import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, type Conversation, type StoredMessage } from '@hub/domain';
import { connectMongo, ensureIndexes, type MongoHandle } from '@hub/platform';
import { stackEnv } from '../../../../test/support/stack-env';
import { pipelineIndexes } from '../collections';
import { SequenceConflictError } from '../ports/message-store';
import { MongoConversationStore } from './mongo-conversation-store';
import { MongoMessageStore } from './mongo-message-store';
import { MongoSequenceSlots } from './mongo-sequence-slots';
import { MongoStatusStore } from './mongo-status-store';

let mongo: MongoHandle;
let conversations: MongoConversationStore;
let messages: MongoMessageStore;
let statuses: MongoStatusStore;
let slots: MongoSequenceSlots;

beforeAll(async () => {
  mongo = await connectMongo({ url: stackEnv().MONGO_URL!, database: `t-${randomUUID()}` });
  await ensureIndexes(mongo.db, pipelineIndexes);
  conversations = new MongoConversationStore(mongo.db);
  messages = new MongoMessageStore(mongo.db);
  statuses = new MongoStatusStore(mongo.db);
  slots = new MongoSequenceSlots(mongo.db);
});
afterAll(async () => {
  await mongo.db.dropDatabase();
  await mongo.close();
});

const conv = (members: string[], id = newId()): Conversation => ({
  conversation_id: id,
  type: members.length === 2 ? 'direct' : 'group',
  members,
  created_at: new Date().toISOString(),
  created_by: 'user:test',
});
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
    expect([...first.conversations, ...second.conversations].map((c) => c.conversation_id).sort()).toEqual(
      mine.map((m) => m.conversation.conversation_id).sort(),
    );
  });

  it('loads members and the numbering floor', async () => {
    const c = conv(['alice', 'bob']);
    await conversations.create(c);
    expect(await conversations.load(c.conversation_id)).toEqual({
      conversationId: c.conversation_id,
      members: ['alice', 'bob'],
      lastSeq: 0,
    });
    expect(await conversations.load(newId())).toBeUndefined();
  });
});

describe('MongoSequenceSlots (real server)', () => {
  const slot = (conversation_id: string, sequence_number: number, message_id = newId(), offset = String(sequence_number)) => ({
    conversation_id,
    sequence_number,
    message_id,
    partition: 0,
    offset,
  });

  it('takes slots in order and stops at the first one another message holds', async () => {
    const c = newId();
    const [s1, s2, s3] = [slot(c, 1), slot(c, 2), slot(c, 3)];
    expect(await slots.take([s1, s2])).toEqual({ taken: 2 });
    const other = slot(c, 2);
    const s4 = slot(c, 4);
    const r = await slots.take([s3, other, s4]);
    expect(r.taken).toBe(1);
    expect(r.refused?.slot).toEqual(other);
    expect(r.refused?.holder).toEqual(s2);
    // Nothing after the refused slot was taken, so the numbers stay contiguous.
    expect(await slots.get(c, 4)).toBeUndefined();
    expect(await slots.get(c, 3)).toEqual(s3);
  });

  it('counts a slot already held by the same message as taken (a retried batch)', async () => {
    const c = newId();
    const [s1, s2, s3] = [slot(c, 1), slot(c, 2), slot(c, 3)];
    await slots.take([s1, s2]);
    expect(await slots.take([s1, s2, s3])).toEqual({ taken: 3 });
    expect(await slots.get(c, 3)).toEqual(s3);
  });

  it('finds the last taken number from any floor', async () => {
    const c = newId();
    expect(await slots.last(c, 0)).toBe(0);
    await slots.take(Array.from({ length: 37 }, (_, i) => slot(c, i + 1)));
    for (const floor of [0, 1, 5, 36, 37]) expect(await slots.last(c, floor)).toBe(37);
    expect(await slots.last(newId(), 0)).toBe(0);
  });
});

describe('MongoMessageStore (real server)', () => {
  it('claims in bulk and reports the ids claimed before', async () => {
    const c = newId();
    const [a, b, d] = [newId(), newId(), newId()];
    expect(await messages.claim([a, b].map((message_id) => ({ message_id, conversation_id: c, partition: 0, offset: '0' })))).toEqual(
      new Set(),
    );
    expect(await messages.claim([b, d, a].map((message_id) => ({ message_id, conversation_id: c, partition: 0, offset: '0' })))).toEqual(
      new Set([b, a]),
    );
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

  it('keeps where each message was first seen', async () => {
    const [a, b] = [newId(), newId()];
    await messages.claim([{ message_id: a, conversation_id: 'c', partition: 2, offset: '41' }]);
    await messages.claim([
      { message_id: a, conversation_id: 'c', partition: 2, offset: '97' },
      { message_id: b, conversation_id: 'c', partition: 2, offset: '98' },
    ]);
    expect(await messages.sightings([a, b, newId()])).toEqual(
      new Map([
        [a, { partition: 2, offset: '41' }],
        [b, { partition: 2, offset: '98' }],
      ]),
    );
  });
});

describe('MongoMessageStore history through the sequence slots (real server)', () => {
  /** Stores messages 1..n of a new conversation the way the router does: slots first, then the messages. */
  async function conversationOf(n: number): Promise<{ c: string; stored: StoredMessage[] }> {
    const c = newId();
    const stored = Array.from({ length: n }, (_, i) => msg(c, i + 1));
    await slots.take(
      stored.map((m) => ({
        conversation_id: c,
        sequence_number: m.sequence_number,
        message_id: m.message_id,
        partition: 0,
        offset: String(m.sequence_number),
      })),
    );
    await messages.insert(stored);
    return { c, stored };
  }
  const bySlots = () => new MongoMessageStore(mongo.db, { historyBySlots: slots });
  const seqs = (list: StoredMessage[]) => list.map((m) => m.sequence_number);

  it('pages in sequence order, across lookup windows, and ends at the first free number', async () => {
    const { c, stored } = await conversationOf(40);
    const reader = bySlots();
    expect(await reader.after(c, 0, 100)).toEqual(stored);
    expect(seqs(await reader.after(c, 3, 20))).toEqual(Array.from({ length: 20 }, (_, i) => i + 4));
    expect(seqs(await reader.after(c, 38, 10))).toEqual([39, 40]);
    expect(await reader.after(c, 40, 10)).toEqual([]);
    expect(await reader.after(newId(), 0, 10)).toEqual([]);
  });

  it('answers as the range query does, also while a numbered message is not stored yet', async () => {
    const { c } = await conversationOf(20);
    // Number 21 taken, its message still being written; 22 stored.
    const pending = msg(c, 21);
    const after = msg(c, 22);
    await slots.take(
      [pending, after].map((m) => ({
        conversation_id: c,
        sequence_number: m.sequence_number,
        message_id: m.message_id,
        partition: 0,
        offset: String(m.sequence_number),
      })),
    );
    await messages.insert([after]);
    const byRange = new MongoMessageStore(mongo.db);
    for (const [from, limit] of [
      [0, 50],
      [0, 21],
      [18, 2],
      [18, 3],
      [20, 5],
      [21, 5],
      [22, 5],
    ] as const) {
      expect(seqs(await bySlots().after(c, from, limit))).toEqual(seqs(await byRange.after(c, from, limit)));
    }
    expect(seqs(await bySlots().after(c, 19, 5))).toEqual([20, 22]);
  });

  it('reads by the slots, not by range: a message stored without its slot (never written so by the router) is not found', async () => {
    const { c } = await conversationOf(3);
    await messages.insert([msg(c, 4)]);
    expect(seqs(await new MongoMessageStore(mongo.db).after(c, 0, 10))).toEqual([1, 2, 3, 4]);
    expect(seqs(await bySlots().after(c, 0, 10))).toEqual([1, 2, 3]);
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
    expect(got.find((s) => s.status === 'pending')).toEqual({
      recipient: 'bob',
      channel: 'internal',
      status: 'pending',
      at: pending.at,
      detail: 'offline',
    });
  });
});
