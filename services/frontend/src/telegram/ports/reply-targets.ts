/**
 * Port: which conversation a Telegram user's message goes into. See
 * LedgerReplyTargets for the rule; undefined when there is none to write to.
 */
export interface ReplyTargets {
  conversationFor(username: string, replyToExternalId?: string): Promise<string | undefined>;
}
