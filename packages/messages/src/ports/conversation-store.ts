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
   * Stores the conversation with one membership per member, unless one with
   * the same id exists (a direct conversation's id is derived from its two
   * members): then that one is returned with `created: false`.
   */
  create(conversation: Conversation): Promise<{ conversation: Conversation; created: boolean }>;
  get(conversationId: string): Promise<Conversation | undefined>;
  /** Conversations `username` is a member of, in a stable order, `limit` at a time after the cursor `after`. */
  listForMember(username: string, page: { limit: number; after?: string }): Promise<ConversationPage>;
}

/** A conversation's sequence state as the router sees it. */
export interface SequenceState {
  conversationId: string;
  members: readonly string[];
  /** The last sequence number handed out (0 before the first message). */
  lastSeq: number;
  /**
   * The last block handed out: `ids[i]` holds `first + i`. Kept so that a
   * router that crashed after reserving but before storing gives the same
   * messages the same numbers when they are redelivered.
   */
  reserved?: { first: number; ids: readonly string[] };
}

/**
 * Port: the router's per-conversation sequence counter. `reserve` is a
 * compare-and-set on `lastSeq` that records the block in the same write.
 */
export interface ConversationSequences {
  load(conversationId: string): Promise<SequenceState | undefined>;
  /** Hands out `ids.length` numbers after `expectedLastSeq`; undefined when `lastSeq` is no longer `expectedLastSeq` (another writer got there first). */
  reserve(conversationId: string, expectedLastSeq: number, ids: readonly string[]): Promise<SequenceState | undefined>;
  /**
   * Moves `lastSeq` past every stored message of the conversation and
   * forgets the block (the way out when a number turned out to be taken).
   */
  repair(conversationId: string): Promise<SequenceState | undefined>;
}
