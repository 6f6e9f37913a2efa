import { statusEvent, type StoredMessage } from '@hub/domain';
import type { MessageHistory } from '../ports/message-history';
import type { Memberships } from '../ports/memberships';
import type { StatusRecorder } from '../ports/status-recorder';
import { FrameError } from '../ws/frame-error';

/**
 * Turns client receipts into statuses of (message, this user, internal):
 * `ack` → delivered, `read` → read for everything up to a sequence. The
 * recorder keeps them forward-only; the member's delivered_seq / read_seq
 * advance so that reconnects resume after what was acknowledged.
 */
export class Receipts {
  constructor(private readonly d: { history: MessageHistory; memberships: Memberships; statuses: StatusRecorder; pageSize: number }) {}

  async ack(user: string, messageId: string): Promise<void> {
    const m = await this.d.history.get(messageId);
    if (!m || !(m.to.includes(user) || m.from === user)) throw new FrameError('not_found', `no message ${messageId} for you`);
    if (m.from === user && !m.to.includes(user)) return;
    await this.d.statuses.record(
      isInternalRecipient(m, user) ? [statusEvent(m, { recipient: user, channel: 'internal', status: 'delivered', at: new Date() })] : [],
    );
    await this.d.memberships.advance(user, m.conversation_id, { delivered_seq: m.sequence_number });
  }

  async read(user: string, conversationId: string, upToSeq: number): Promise<void> {
    const membership = await this.d.memberships.get(user, conversationId);
    if (!membership) throw new FrameError('not_member', `you are not a member of conversation ${conversationId}`);
    if (upToSeq > membership.last_seq) {
      throw new FrameError(
        'sequence_out_of_range',
        `up_to_seq ${upToSeq} is beyond the end of the conversation (last sequence ${membership.last_seq})`,
      );
    }
    let after = Math.min(membership.read_seq, upToSeq);
    while (after < upToSeq) {
      const page = (await this.d.history.after(conversationId, after, this.d.pageSize)).filter((m) => m.sequence_number <= upToSeq);
      if (page.length === 0) break;
      const events = page
        .filter((m) => isInternalRecipient(m, user))
        .map((m) => statusEvent(m, { recipient: user, channel: 'internal', status: 'read', at: new Date() }));
      // A read message was delivered even if its ack got lost: record both, in order.
      await this.d.statuses.record(events.flatMap((e) => [{ ...e, status: 'delivered' as const }, e]));
      after = page[page.length - 1]!.sequence_number;
      if (page.length < this.d.pageSize) break;
    }
    await this.d.memberships.advance(user, conversationId, { delivered_seq: upToSeq, read_seq: upToSeq });
  }
}

function isInternalRecipient(m: StoredMessage, user: string): boolean {
  return m.to.includes(user) && m.channels.includes('internal');
}
