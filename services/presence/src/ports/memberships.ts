/** A user's place in one conversation. */
export interface Membership {
  conversation_id: string;
  /** Highest sequence the user acknowledged (`ack`); catch-up starts after it. */
  delivered_seq: number;
  /** Highest sequence the user marked read. */
  read_seq: number;
  /** The conversation's last assigned sequence (its end). */
  last_seq: number;
}

/**
 * Port: per-member progress in conversations (owned by the message
 * pipeline's membership store). Advances never move backwards.
 */
export interface Memberships {
  /** Every conversation the user is a member of. */
  of(user: string): Promise<Membership[]>;
  get(user: string, conversationId: string): Promise<Membership | undefined>;
  /** Raises delivered_seq / read_seq to at least the given values (no-op where already higher). */
  advance(user: string, conversationId: string, to: { delivered_seq?: number; read_seq?: number }): Promise<void>;
}
