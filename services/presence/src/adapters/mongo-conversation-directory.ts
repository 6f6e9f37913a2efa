import type { Collection, Db } from 'mongodb';
import type { ConversationDirectory } from '../ports/conversation-directory';

interface ConversationDoc {
  conversation_id: string;
  members: string[];
}

/** Adapter: ConversationDirectory read from the pipeline's MongoDB `conversations` collection (members index). */
export class MongoConversationDirectory implements ConversationDirectory {
  private readonly conversations: Collection<ConversationDoc>;

  constructor(db: Db, private readonly maxConversations = 5_000) {
    this.conversations = db.collection<ConversationDoc>('conversations');
  }

  async membersOf(conversationId: string): Promise<readonly string[] | undefined> {
    const doc = await this.conversations.findOne({ conversation_id: conversationId }, { projection: { _id: 0, members: 1 } });
    return doc?.members;
  }

  async peersOf(user: string): Promise<string[]> {
    const peers = new Set<string>();
    const cursor = this.conversations.find({ members: user }, { projection: { _id: 0, members: 1 } }).limit(this.maxConversations);
    for await (const doc of cursor) for (const m of doc.members) if (m !== user) peers.add(m);
    return [...peers];
  }

  async shareConversation(a: string, b: string): Promise<boolean> {
    if (a === b) return true;
    return (await this.conversations.findOne({ $and: [{ members: a }, { members: b }] }, { projection: { _id: 1 } })) !== null;
  }
}
