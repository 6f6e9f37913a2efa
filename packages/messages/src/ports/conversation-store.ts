import type { Conversation } from '@hub/domain';

export interface ConversationPage {
  conversations: Conversation[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

/**
 * Port: conversations and their memberships (frontend and readers).
 * Members are fixed at creation, so callers may cache what `get` returns.
 */
export interface ConversationStore {
  /**
   * Stores the conversation with one membership per member (those in
   * acceptedAtCreation marked accepted), unless one with
   * the same id exists (a direct conversation's id is derived from its two
   * members): then that one is returned with `created: false`.
   */
  create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }>;
  get(conversationId: string): Promise<Conversation | undefined>;
  /** Conversations `username` is a member of, in a stable order, `limit` at a time after the cursor `after`. */
  listForMember(username: string, page: { limit: number; after?: string }): Promise<ConversationPage>;
}

/** A conversation as the router sees it: who may take part, and where its numbering stood. */
export interface SequenceState {
  conversationId: string;
  members: readonly string[];
  /**
   * A number known taken (0 before the first message): where the search
   * for the last taken slot starts (see SequenceSlots.last).
   */
  lastSeq: number;
}

/** Port: the router's read of a conversation's members and numbering floor. */
export interface ConversationSequences {
  load(conversationId: string): Promise<SequenceState | undefined>;
}
