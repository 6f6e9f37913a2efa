import type { ConversationStore } from '@hub/messages';
import type { ConversationMembers } from '../ports/conversation-members';

/** Adapter: ConversationMembers through the message pipeline's own conversation store (@hub/messages). */
export class ConversationStoreMembers implements ConversationMembers {
  constructor(private readonly store: Pick<ConversationStore, 'get'>) {}

  async membersOf(conversationId: string): Promise<readonly string[] | undefined> {
    return (await this.store.get(conversationId))?.members;
  }
}
