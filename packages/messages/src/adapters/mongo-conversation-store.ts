import type { Collection, Db } from 'mongodb';
import type { Conversation } from '@hub/domain';
import { isDuplicateKeyError } from '@hub/platform';
import { Collections } from '../collections';
import type { ConversationPage, ConversationSequences, ConversationStore, SequenceState } from '../ports/conversation-store';

interface ConversationDoc extends Conversation {
  /** = conversation_id (the field is kept too: readers query it by name). */
  _id: string;
  last_seq: number;
  reserved?: { first: number; ids: string[] };
}

interface MembershipDoc {
  /** `${conversation_id}|${username}` */
  _id: string;
  conversation_id: string;
  username: string;
  delivered_seq: number;
  read_seq: number;
  joined_at: string;
}

/** Adapter: conversations, memberships and the per-conversation sequence counter in MongoDB. */
export class MongoConversationStore implements ConversationStore, ConversationSequences {
  private readonly conversations: Collection<ConversationDoc>;
  private readonly memberships: Collection<MembershipDoc>;
  private readonly messages: Collection<{ _id: string; conversation_id: string; sequence_number: number }>;

  constructor(db: Db) {
    this.conversations = db.collection<ConversationDoc>(Collections.conversations);
    this.memberships = db.collection<MembershipDoc>(Collections.memberships);
    this.messages = db.collection(Collections.messages);
  }

  async create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }> {
    // Memberships first: a crash in between leaves memberships without a
    // conversation (invisible, and re-created idempotently on retry), never
    // a conversation whose members lack their membership.
    const memberships: MembershipDoc[] = conversation.members.map((username) => ({
      _id: `${conversation.conversation_id}|${username}`,
      conversation_id: conversation.conversation_id,
      username,
      delivered_seq: 0,
      read_seq: 0,
      joined_at: conversation.created_at,
    }));
    try {
      await this.memberships.insertMany(memberships, { ordered: false });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    try {
      await this.conversations.insertOne({ ...conversation, _id: conversation.conversation_id, last_seq: 0 });
      return { conversation, created: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.get(conversation.conversation_id);
      if (!existing) throw err;
      return { conversation: existing, created: false };
    }
  }

  async get(conversationId: string): Promise<Conversation | undefined> {
    const doc = await this.conversations.findOne({ _id: conversationId });
    return doc ? toConversation(doc) : undefined;
  }

  async listForMember(username: string, page: { limit: number; after?: string }): Promise<ConversationPage> {
    const filter = page.after ? { members: username, _id: { $gt: page.after } } : { members: username };
    const docs = await this.conversations
      .find(filter)
      .sort({ _id: 1 })
      .limit(page.limit + 1)
      .toArray();
    const more = docs.length > page.limit;
    const conversations = docs.slice(0, page.limit).map(toConversation);
    return more ? { conversations, next: conversations[conversations.length - 1]!.conversation_id } : { conversations };
  }

  async load(conversationId: string): Promise<SequenceState | undefined> {
    const doc = await this.conversations.findOne({ _id: conversationId }, { projection: { members: 1, last_seq: 1, reserved: 1 } });
    return doc ? toSequenceState(conversationId, doc) : undefined;
  }

  async reserve(conversationId: string, expectedLastSeq: number, ids: readonly string[]): Promise<SequenceState | undefined> {
    const doc = await this.conversations.findOneAndUpdate(
      { _id: conversationId, last_seq: expectedLastSeq },
      { $inc: { last_seq: ids.length }, $set: { reserved: { first: expectedLastSeq + 1, ids: [...ids] } } },
      { returnDocument: 'after' },
    );
    if (!doc) return undefined;
    const state = toSequenceState(conversationId, doc);
    // Someone else's write may have landed on top of ours (FerretDB applies a conditional update without isolation).
    if (state.lastSeq !== expectedLastSeq + ids.length || state.reserved?.ids[0] !== ids[0]) return undefined;
    return state;
  }

  async repair(conversationId: string): Promise<SequenceState | undefined> {
    const top = await this.messages.find({ conversation_id: conversationId }, { projection: { sequence_number: 1 } }).sort({ sequence_number: -1 }).limit(1).toArray();
    const max = top[0]?.sequence_number ?? 0;
    await this.conversations.updateOne({ _id: conversationId, last_seq: { $lt: max } }, { $set: { last_seq: max } });
    await this.conversations.updateOne({ _id: conversationId }, { $unset: { reserved: '' } });
    return this.load(conversationId);
  }
}

function toConversation(doc: ConversationDoc): Conversation {
  const c: Conversation = { conversation_id: doc.conversation_id, type: doc.type, members: doc.members, created_at: doc.created_at, created_by: doc.created_by };
  if (doc.name !== undefined) c.name = doc.name;
  return c;
}

function toSequenceState(conversationId: string, doc: Partial<ConversationDoc>): SequenceState {
  const state: SequenceState = { conversationId, members: doc.members ?? [], lastSeq: doc.last_seq ?? 0 };
  if (doc.reserved && doc.reserved.ids.length > 0) state.reserved = { first: doc.reserved.first, ids: doc.reserved.ids };
  return state;
}
