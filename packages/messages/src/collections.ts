import type { IndexDescription } from 'mongodb';

/** MongoDB collections of the message pipeline (ARCHITECTURE.md, Stores). */
export const Collections = {
  conversations: 'conversations',
  memberships: 'memberships',
  messages: 'messages',
  /** message_id → first sighting (log position); the router's bulk dedup test (see MongoMessageStore.claim). */
  messageClaims: 'message_claims',
  statusEvents: 'status_events',
  /** `conversation:number` → the message holding that sequence number (see MongoSequenceSlots). */
  sequenceSlots: 'sequence_slots',
  /** Records the router refused (topic:partition:offset → reason and raw value); also on hub.dlq.v1. */
  rejectedRecords: 'rejected_records',
} as const;

/**
 * Indexes per collection. `_id` is the natural key everywhere (message_id,
 * conversation_id, `conversation|user`, the status event id) because the
 * test server (FerretDB on SQLite) answers only `_id` equality without a
 * full scan; the secondary indexes serve real MongoDB.
 */
export const pipelineIndexes: Record<string, IndexDescription[]> = {
  [Collections.conversations]: [{ key: { members: 1 }, name: 'members' }],
  [Collections.memberships]: [
    { key: { username: 1 }, name: 'username' },
    { key: { conversation_id: 1 }, name: 'conversation_id' },
  ],
  [Collections.messages]: [{ key: { conversation_id: 1, sequence_number: 1 }, name: 'conversation_sequence_unique', unique: true }],
  [Collections.statusEvents]: [{ key: { message_id: 1 }, name: 'message_id' }],
  [Collections.rejectedRecords]: [{ key: { failed_at: -1, _id: -1 }, name: 'newest_first' }],
};
