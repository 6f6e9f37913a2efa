import { LRUCache } from 'lru-cache';
import type { ConversationAcceptances } from '@hub/messages';

/**
 * A member who sends a message in a conversation has accepted it (the
 * "first reply" of the presence privacy rule). The router sees every
 * stored message whatever the intake (REST, WebSocket, bridges), so it
 * records acceptance here: one single-document write per conversation and
 * sender the first time this process sees the pair, none afterwards.
 */
export class SenderAcceptances {
  private readonly known: LRUCache<string, true>;

  constructor(
    private readonly acceptances: ConversationAcceptances,
    cacheSize: number,
  ) {
    this.known = new LRUCache({ max: cacheSize });
  }

  /** Marks each message's sender as having accepted its conversation (stored messages only). */
  async record(messages: ReadonlyArray<{ conversation_id: string; from: string; accepted_at: string }>): Promise<void> {
    const first = new Map<string, { conversation_id: string; from: string; accepted_at: string }>();
    for (const m of messages) {
      const key = `${m.conversation_id}|${m.from}`;
      if (!this.known.has(key) && !first.has(key)) first.set(key, m);
    }
    if (first.size === 0) return;
    await Promise.all(
      [...first].map(async ([key, m]) => {
        await this.acceptances.accept(m.conversation_id, m.from, m.accepted_at);
        this.known.set(key, true);
      }),
    );
  }
}
