import { LRUCache } from 'lru-cache';
import type { Conversation } from '@hub/domain';
import type { ConversationStore } from '../ports/conversation-store';

/** Port: "which conversation is this, who is in it" on the accept path. */
export interface ConversationLookup {
  get(conversationId: string): Promise<Conversation | undefined>;
}

/**
 * ConversationLookup with an in-process cache in front of the store.
 * Members are fixed at creation, so a found conversation is cached until
 * evicted; a miss is not cached (a conversation created a moment later must
 * be found), but concurrent misses for one id share one store read.
 */
export class CachedConversationLookup implements ConversationLookup {
  private readonly cache: LRUCache<string, Conversation>;
  private readonly inFlight = new Map<string, Promise<Conversation | undefined>>();

  constructor(
    private readonly store: Pick<ConversationStore, 'get'>,
    maxEntries: number,
  ) {
    this.cache = new LRUCache({ max: maxEntries });
  }

  async get(conversationId: string): Promise<Conversation | undefined> {
    const hit = this.cache.get(conversationId);
    if (hit) return hit;
    let pending = this.inFlight.get(conversationId);
    if (!pending) {
      pending = this.store.get(conversationId).finally(() => this.inFlight.delete(conversationId));
      this.inFlight.set(conversationId, pending);
    }
    const found = await pending;
    if (found) this.cache.set(conversationId, found);
    return found;
  }

  /** Seed the cache with a conversation just created here. */
  remember(conversation: Conversation): void {
    this.cache.set(conversation.conversation_id, conversation);
  }
}
