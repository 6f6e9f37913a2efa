import type { StoredMessage } from '@hub/domain';

/** An insert hit a sequence number another message already holds (the counter fell behind). */
export class SequenceConflictError extends Error {
  constructor(
    readonly conversationIds: string[],
    readonly messageIds: string[],
  ) {
    super(`sequence numbers already taken in conversation(s) ${conversationIds.join(', ')}`);
    this.name = 'SequenceConflictError';
  }
}

/** Where a message was first seen in the log. */
export interface Sighting {
  partition: number;
  offset: string;
}

/**
 * Port: the router's write side of the message store. All operations are
 * bulk and idempotent, so a redelivered batch can run them again.
 */
export interface MessageWriter {
  /**
   * Records that these messages were seen, at these log positions.
   * Resolves with the ids that had been claimed before (an earlier record
   * or delivery of the same message_id); those may or may not be stored
   * yet (see findStored).
   */
  claim(messages: ReadonlyArray<{ message_id: string; conversation_id: string } & Sighting>): Promise<Set<string>>;
  /** Where each of these ids was first claimed (absent: never claimed, or claimed without a position). */
  sightings(ids: readonly string[]): Promise<Map<string, Sighting>>;
  /** The stored messages among these ids. */
  findStored(ids: readonly string[]): Promise<Map<string, StoredMessage>>;
  /**
   * Inserts the messages (each with its sequence_number). A message already
   * stored is left as it is and listed in `alreadyStored`. Throws
   * SequenceConflictError when a number is held by another message.
   */
  insert(messages: readonly StoredMessage[]): Promise<{ alreadyStored: string[] }>;
}

/** Port: reads of stored messages (history, status, catch-up). */
export interface MessageReader {
  get(messageId: string): Promise<StoredMessage | undefined>;
  /** Messages of the conversation with sequence_number > afterSeq, ascending, at most `limit`. */
  after(conversationId: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
}
