import type { Collection, Db } from 'mongodb';
import type { Conversation } from '@hub/domain';
import { isDuplicateKeyError } from '@hub/platform';
import { acceptedAtCreation } from '../acceptance/accepted-at-creation';
import { Collections } from '../collections';
import type { ConversationPage, ConversationSequences, ConversationStore, SequenceState } from '../ports/conversation-store';

interface ConversationDoc extends Conversation {
  /** = conversation_id (the field is kept too: readers query it by name). */
  _id: string;
  /** Numbering floor for the slot search (0 at creation; numbers live in sequence_slots). */
  last_seq: number;
}

/** A member's place in a conversation (also read and advanced by presence). */
export interface MembershipDoc {
  /** `${conversation_id}|${username}` */
  _id: string;
  conversation_id: string;
  username: string;
  delivered_seq: number;
  read_seq: number;
  joined_at: string;
  /**
   * When the member accepted the conversation (created it, replied in it or
   * accepted it explicitly); absent while they have not. Presence is shared
   * only through conversations the user accepted (ConversationAcceptances).
   */
  accepted_at?: string;
}

/** Adapter: conversations and memberships in MongoDB (the numbers themselves are in MongoSequenceSlots). */
export class MongoConversationStore implements ConversationStore, ConversationSequences {
  private readonly conversations: Collection<ConversationDoc>;
  private readonly memberships: Collection<MembershipDoc>;

  constructor(db: Db) {
    this.conversations = db.collection<ConversationDoc>(Collections.conversations);
    this.memberships = db.collection<MembershipDoc>(Collections.memberships);
  }

  async create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }> {
    // Memberships first: a crash in between leaves memberships without a
    // conversation (invisible, and re-created idempotently on retry), never
    // a conversation whose members lack their membership.
    const accepted = new Set(acceptedAtCreation(conversation));
    const memberships: MembershipDoc[] = conversation.members.map((username) => ({
      _id: `${conversation.conversation_id}|${username}`,
      conversation_id: conversation.conversation_id,
      username,
      delivered_seq: 0,
      read_seq: 0,
      joined_at: conversation.created_at,
      ...(accepted.has(username) ? { accepted_at: conversation.created_at } : {}),
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
    const doc = await this.conversations.findOne({ _id: conversationId }, { projection: { members: 1, last_seq: 1 } });
    return doc ? { conversationId, members: doc.members ?? [], lastSeq: doc.last_seq ?? 0 } : undefined;
  }
}

function toConversation(doc: ConversationDoc): Conversation {
  const c: Conversation = {
    conversation_id: doc.conversation_id,
    type: doc.type,
    members: doc.members,
    created_at: doc.created_at,
    created_by: doc.created_by,
  };
  if (doc.name !== undefined) c.name = doc.name;
  return c;
}
