import type { ConversationMembers } from './ports/conversation-members';
import type { Membership, Memberships } from './ports/memberships';

/**
 * The conversations of the users connected to this node, read once per
 * connect (the same read the catch-up needs) and kept while the user has a
 * connection here. Presence announcements then find a user's peers from
 * the cached conversation members, with no store query: a node dropping
 * thousands of sockets at once does not turn into thousands of scans.
 */
export class UserConversations {
  private readonly byUser = new Map<string, Set<string>>();
  private readonly loading = new Map<string, Promise<unknown>>();

  constructor(
    private readonly memberships: Memberships,
    private readonly members: ConversationMembers,
  ) {}

  /** Reads the user's memberships (fresh: delivered_seq moves) and remembers their conversations. */
  async load(user: string): Promise<Membership[]> {
    const read = this.memberships.of(user);
    this.loading.set(user, read);
    try {
      const list = await read;
      const ids = this.byUser.get(user) ?? new Set<string>();
      for (const m of list) ids.add(m.conversation_id);
      this.byUser.set(user, ids);
      return list;
    } finally {
      if (this.loading.get(user) === read) this.loading.delete(user);
    }
  }

  /** A conversation seen for the first time while connected (created after the connect). */
  add(user: string, conversationId: string): void {
    this.byUser.get(user)?.add(conversationId);
  }

  forget(user: string): void {
    this.byUser.delete(user);
  }

  /**
   * Everyone sharing with the user a conversation the user accepted (who
   * may see their presence): from the cache when the user is connected
   * here, else from the store. Acceptance is asked each time (a "yes" is
   * cached by the directory; a "no" may have turned since the connect).
   */
  async peersOf(user: string): Promise<string[]> {
    await this.loading.get(user)?.catch(() => {});
    const ids = this.byUser.get(user);
    if (!ids) return this.members.peersOf(user);
    const peers = new Set<string>();
    for (const id of ids) {
      if (!(await this.members.hasAccepted(id, user))) continue;
      for (const m of (await this.members.membersOf(id)) ?? []) if (m !== user) peers.add(m);
    }
    return [...peers];
  }
}
