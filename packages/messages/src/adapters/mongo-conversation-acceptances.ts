import type { Collection, Db } from 'mongodb';
import { Collections } from '../collections';
import type { ConversationAcceptances } from '../ports/conversation-acceptances';
import type { MembershipDoc } from './mongo-conversation-store';

/**
 * Adapter: acceptance is the membership document's `accepted_at`, written
 * with one single-document `$min` (FerretDB v1 has no transactions): it
 * sets the field when absent, keeps the earliest time otherwise, and is
 * safe to repeat.
 */
export class MongoConversationAcceptances implements ConversationAcceptances {
  private readonly memberships: Collection<MembershipDoc>;

  constructor(db: Db) {
    this.memberships = db.collection<MembershipDoc>(Collections.memberships);
  }

  async accept(conversationId: string, username: string, at: string): Promise<boolean> {
    const res = await this.memberships.updateOne({ _id: `${conversationId}|${username}` }, { $min: { accepted_at: at } });
    return res.matchedCount > 0;
  }

  async hasAccepted(conversationId: string, username: string): Promise<boolean> {
    const doc = await this.memberships.findOne({ _id: `${conversationId}|${username}` }, { projection: { accepted_at: 1 } });
    return typeof doc?.accepted_at === 'string';
  }
}
