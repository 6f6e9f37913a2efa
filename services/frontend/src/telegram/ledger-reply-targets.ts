import type { OutboundLedger } from '@hub/outbound';
import { DIRECT_CONVERSATION_NAMESPACE, directConversationKey, nameBasedId } from '@hub/domain';
import type { ReplyTargets } from './ports/reply-targets';

/**
 * Which conversation a Telegram message belongs to, in order:
 * 1. the conversation of the hub message the user replied to (Telegram
 *    "reply": its message id is the delivery's external id);
 * 2. else the conversation of the latest hub message delivered to the user
 *    on Telegram (they are answering whoever wrote last);
 * 3. else, when a bridge peer is configured, the user's direct
 *    conversation with that peer (created on first use).
 */
export class LedgerReplyTargets implements ReplyTargets {
  constructor(
    private readonly ledger: Pick<OutboundLedger, 'lastDeliveredTo'>,
    private readonly peer?: { username: string; ensureDirect(a: string, b: string, conversationId: string): Promise<void> },
  ) {}

  async conversationFor(username: string, replyToExternalId?: string): Promise<string | undefined> {
    if (replyToExternalId) {
      const answered = await this.ledger.lastDeliveredTo(username, 'telegram', replyToExternalId);
      if (answered) return answered.conversation_id;
    }
    const latest = await this.ledger.lastDeliveredTo(username, 'telegram');
    if (latest) return latest.conversation_id;
    if (!this.peer || this.peer.username === username) return undefined;
    const id = nameBasedId(DIRECT_CONVERSATION_NAMESPACE, directConversationKey(username, this.peer.username));
    await this.peer.ensureDirect(username, this.peer.username, id);
    return id;
  }
}
