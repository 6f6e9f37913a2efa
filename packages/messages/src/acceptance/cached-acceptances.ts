import { LRUCache } from 'lru-cache';
import type { ConversationAcceptances } from '../ports/conversation-acceptances';

/**
 * ConversationAcceptances with an in-process cache of the "yes" answers
 * (acceptance is never withdrawn). A "no" is read again every time: the
 * member may have replied through another process a moment ago. Reads are
 * point reads by `_id`, the one query the test server answers without a scan.
 */
export class CachedAcceptances implements ConversationAcceptances {
  private readonly yes: LRUCache<string, true>;

  constructor(
    private readonly store: ConversationAcceptances,
    maxEntries: number,
  ) {
    this.yes = new LRUCache({ max: maxEntries });
  }

  async accept(conversationId: string, username: string, at: string): Promise<boolean> {
    const key = `${conversationId}|${username}`;
    if (this.yes.has(key)) return true;
    const member = await this.store.accept(conversationId, username, at);
    if (member) this.yes.set(key, true);
    return member;
  }

  async hasAccepted(conversationId: string, username: string): Promise<boolean> {
    const key = `${conversationId}|${username}`;
    if (this.yes.has(key)) return true;
    const accepted = await this.store.hasAccepted(conversationId, username);
    if (accepted) this.yes.set(key, true);
    return accepted;
  }

  /** Records a "yes" learnt elsewhere (a membership read that carried it). */
  remember(conversationId: string, username: string): void {
    this.yes.set(`${conversationId}|${username}`, true);
  }
}
