/**
 * One sequence number of a conversation, taken by one message. The log
 * position (partition, offset) of the record that numbered it tells the
 * slots of an unfinished batch (at or after the batch's first offset) from
 * settled ones.
 */
export interface SequenceSlot {
  conversation_id: string;
  sequence_number: number;
  message_id: string;
  partition: number;
  offset: string;
}

export interface TakeResult {
  /** How many slots, from the start of the list, are now held by the messages given. */
  taken: number;
  /** The first slot held by another message (nothing after it was taken). */
  refused?: { slot: SequenceSlot; holder?: SequenceSlot };
}

/**
 * Port: the per-conversation sequence numbers as insert-only slots. A
 * number is taken by inserting its slot; the store refuses a second
 * holder, so no number is ever handed out twice, and nothing is updated on
 * the hot path (the test server applies updates one document at a time).
 */
export interface SequenceSlots {
  /** Takes the slots in list order and stops at the first one another message holds. A slot already held by the same message counts as taken. */
  take(slots: readonly SequenceSlot[]): Promise<TakeResult>;
  get(conversationId: string, sequenceNumber: number): Promise<SequenceSlot | undefined>;
  /**
   * The highest taken number of the conversation, searching up from
   * `floor` (0, or a number known to be taken). Numbers are taken without
   * gaps, so an exponential then binary search needs about 2·log2(distance)
   * point reads.
   */
  last(conversationId: string, floor: number): Promise<number>;
}
