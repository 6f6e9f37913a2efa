/**
 * Port: the membership reads the gateway needs (conversations are owned by
 * the message pipeline; presence only reads them).
 */
export interface ConversationMembers {
  /** Members of the conversation, or undefined when there is no such conversation. */
  membersOf(conversationId: string): Promise<readonly string[] | undefined>;
  /** Whether `user` accepted the conversation (created it, replied in it or accepted it). */
  hasAccepted(conversationId: string, user: string): Promise<boolean>;
  /** Everyone who shares with `user` a conversation `user` accepted (without `user`): who may see the user's presence. */
  peersOf(user: string): Promise<string[]>;
  /** Whether `viewer` may see `subject`'s presence: themselves, or a member of a conversation `subject` accepted. */
  mayShowPresence(viewer: string, subject: string): Promise<boolean>;
}
