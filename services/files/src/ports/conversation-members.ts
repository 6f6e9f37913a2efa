/**
 * Port: who belongs to a conversation. Conversations are owned by the
 * message pipeline; the files service only reads them to decide who may
 * download a file shared in one.
 */
export interface ConversationMembers {
  /** The conversation's members, or undefined when there is no such conversation. */
  membersOf(conversationId: string): Promise<readonly string[] | undefined>;
}
