import type { ConversationAcceptances, ConversationLookup, ConversationStore } from '@hub/messages';
import type { ConversationMembers } from './ports/conversation-members';

/**
 * ConversationMembers over the pipeline's ConversationStore; `membersOf`
 * goes through the accept path's cached lookup (members never change) and
 * acceptance through a cache of the "yes" answers (never withdrawn).
 */
export class StoreConversationMembers implements ConversationMembers {
  constructor(
    private readonly store: ConversationStore,
    private readonly lookup: ConversationLookup,
    private readonly acceptances: ConversationAcceptances,
    private readonly maxConversations = 5_000,
  ) {}

  async membersOf(conversationId: string): Promise<readonly string[] | undefined> {
    return (await this.lookup.get(conversationId))?.members;
  }

  hasAccepted(conversationId: string, user: string): Promise<boolean> {
    return this.acceptances.hasAccepted(conversationId, user);
  }

  async peersOf(user: string): Promise<string[]> {
    const peers = new Set<string>();
    for await (const c of this.conversationsOf(user)) {
      if (!(await this.hasAccepted(c.conversation_id, user))) continue;
      for (const m of c.members) if (m !== user) peers.add(m);
    }
    return [...peers];
  }

  async mayShowPresence(viewer: string, subject: string): Promise<boolean> {
    if (viewer === subject) return true;
    for await (const c of this.conversationsOf(viewer))
      if (c.members.includes(subject) && (await this.hasAccepted(c.conversation_id, subject))) return true;
    return false;
  }

  private async *conversationsOf(user: string): AsyncGenerator<{ conversation_id: string; members: readonly string[] }> {
    let after: string | undefined;
    let seen = 0;
    do {
      const page = await this.store.listForMember(user, { limit: 200, ...(after ? { after } : {}) });
      yield* page.conversations;
      seen += page.conversations.length;
      after = page.next;
    } while (after && seen < this.maxConversations);
  }
}
