import type { Fanout } from '@hub/push';
import type { ConversationMembers } from './ports/conversation-members';
import { FrameError } from './ws/frame-error';

/**
 * `typing` fan-out. Peers show the indicator for `expires_in_ms` unless it
 * is renewed, so a user who stops typing (or disconnects) needs no "stopped"
 * frame. A user typing continuously is re-announced at most twice per TTL.
 */
export class TypingRelay {
  private readonly lastSent = new Map<string, number>();

  constructor(
    private readonly members: ConversationMembers,
    private readonly fanout: Fanout,
    private readonly ttlMs: number,
  ) {}

  async typing(user: string, conversationId: string, claimedUser: string | undefined, now = Date.now()): Promise<void> {
    if (claimedUser !== undefined && claimedUser !== user) throw new FrameError('forbidden', 'typing: user must be yourself (or left out)');
    const members = await this.members.membersOf(conversationId);
    if (!members?.includes(user)) throw new FrameError('not_member', `you are not a member of conversation ${conversationId}`);
    // Typing shows that the user is online: shared, like presence, only where they accepted the conversation.
    if (!(await this.members.hasAccepted(conversationId, user))) {
      throw new FrameError(
        'not_accepted',
        `typing is shared only in conversations you accepted; reply in ${conversationId} or accept it (POST /v1/conversations/${conversationId}/accept) first`,
      );
    }
    const key = `${user}|${conversationId}`;
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.ttlMs / 2) return;
    this.lastSent.set(key, now);
    if (this.lastSent.size > 10_000) this.forgetExpired(now);
    await this.fanout.toUsers(
      members.filter((m) => m !== user),
      { op: 'typing', d: { conversation_id: conversationId, user, expires_in_ms: this.ttlMs } },
    );
  }

  private forgetExpired(now: number): void {
    for (const [key, at] of this.lastSent) if (now - at >= this.ttlMs) this.lastSent.delete(key);
  }
}
