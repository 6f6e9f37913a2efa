import type { ConversationStore } from '@hub/messages';
import type { ConversationDirectory } from './ports/conversation-directory';

/**
 * ConversationDirectory over the pipeline's ConversationStore. Members are
 * fixed at creation, so `membersOf` answers repeat lookups (typing, receipts)
 * from a bounded in-process cache.
 */
export class StoreConversationDirectory implements ConversationDirectory {
  private readonly members = new Map<string, readonly string[]>();

  constructor(
    private readonly store: ConversationStore,
    private readonly opts: { cacheSize: number; maxConversations: number } = { cacheSize: 10_000, maxConversations: 5_000 },
  ) {}

  async membersOf(conversationId: string): Promise<readonly string[] | undefined> {
    const cached = this.members.get(conversationId);
    if (cached) return cached;
    const conversation = await this.store.get(conversationId);
    if (!conversation) return undefined;
    this.members.set(conversationId, conversation.members);
    if (this.members.size > this.opts.cacheSize) this.members.delete(this.members.keys().next().value!);
    return conversation.members;
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
    } while (after && seen < this.opts.maxConversations);
  }
}
