import type { ConversationLookup, ConversationStore } from '@hub/messages';
import type { ConversationMembers } from './ports/conversation-members';

/**
 * ConversationMembers over the pipeline's ConversationStore; `membersOf`
 * goes through the accept path's cached lookup (members never change).
 */
export class StoreConversationMembers implements ConversationMembers {
  constructor(
    private readonly store: ConversationStore,
    private readonly lookup: ConversationLookup,
    private readonly maxConversations = 5_000,
  ) {}

  async membersOf(conversationId: string): Promise<readonly string[] | undefined> {
    return (await this.lookup.get(conversationId))?.members;
  }

  async peersOf(user: string): Promise<string[]> {
    const peers = new Set<string>();
    for await (const members of this.conversationsOf(user)) for (const m of members) if (m !== user) peers.add(m);
    return [...peers];
  }

  async shareConversation(a: string, b: string): Promise<boolean> {
    if (a === b) return true;
    for await (const members of this.conversationsOf(a)) if (members.includes(b)) return true;
    return false;
  }

  private async *conversationsOf(user: string): AsyncGenerator<readonly string[]> {
    let after: string | undefined;
    let seen = 0;
    do {
      const page = await this.store.listForMember(user, { limit: 200, ...(after ? { after } : {}) });
      for (const c of page.conversations) yield c.members;
      seen += page.conversations.length;
      after = page.next;
    } while (after && seen < this.maxConversations);
  }
}
