/**
 * Port: the membership reads the gateway needs (conversations are owned by
 * the message pipeline; presence only reads them).
 */
export interface ConversationMembers {
  /** Members of the conversation, or undefined when there is no such conversation. */
  membersOf(conversationId: string): Promise<readonly string[] | undefined>;
  /** Everyone who shares at least one conversation with `user` (without `user`). */
  peersOf(user: string): Promise<string[]>;
  /** Whether `a` and `b` are members of at least one common conversation. */
  shareConversation(a: string, b: string): Promise<boolean>;
}
