import type { Collection, Db } from 'mongodb';
import type { ConversationMembers } from '../ports/conversation-members';

interface ConversationDoc {
  conversation_id: string;
  members: string[];
}

/** Adapter: ConversationMembers read from the pipeline's MongoDB `conversations` collection. */
export class MongoConversationMembers implements ConversationMembers {
  private readonly conversations: Collection<ConversationDoc>;

  constructor(db: Db) {
    this.conversations = db.collection<ConversationDoc>('conversations');
  }

  async membersOf(conversationId: string): Promise<readonly string[] | undefined> {
    const doc = await this.conversations.findOne({ conversation_id: conversationId }, { projection: { _id: 0, members: 1 } });
    return doc?.members;
  }
}
