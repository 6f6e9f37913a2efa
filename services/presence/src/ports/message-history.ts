import type { StoredMessage } from '@hub/domain';

/** Port: read access to stored messages (owned by the message pipeline). */
export interface MessageHistory {
  /** Messages of the conversation with sequence_number > afterSeq, ascending, at most `limit`. */
  after(conversationId: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
  get(messageId: string): Promise<StoredMessage | undefined>;
}
