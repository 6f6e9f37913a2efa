/**
 * Port: which members accepted a conversation (ARCHITECTURE.md, presence
 * privacy). A member accepts by creating it, replying in it or
 * `POST /v1/conversations/{id}/accept`; acceptance is never withdrawn, so
 * a "yes" may be cached for good (a "no" may not).
 */
export interface ConversationAcceptances {
  /**
   * Marks the member as having accepted (keeps the earliest time when
   * already set). Resolves false when `username` is not a member.
   */
  accept(conversationId: string, username: string, at: string): Promise<boolean>;
  /** Whether the member accepted the conversation (false for a non-member). */
  hasAccepted(conversationId: string, username: string): Promise<boolean>;
}
