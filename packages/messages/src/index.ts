// Accepting messages and the ports of the message, conversation and status stores.
// MongoDB and Redis adapters: '@hub/messages/adapters' (for composition roots and integration tests).
export { Collections, pipelineIndexes } from './collections';
export type { ConversationPage, ConversationStore, SequenceState, ConversationSequences } from './ports/conversation-store';
export { SequenceConflictError, type Sighting, type MessageWriter, type MessageReader } from './ports/message-store';
export type { StatusRecord, StatusStore } from './ports/status-store';
export type { SequenceSlot, TakeResult, SequenceSlots } from './ports/sequence-slots';
export { decodeCursor, type RejectedRecord, type RejectedRecordQuery, type RejectedRecords } from './ports/rejected-records';
export type { MessageIdClaim, ClaimOutcome, MessageIdClaims } from './ports/message-id-claims';
export { type AcceptOrigin, type AcceptInput, type AcceptResult, type MessageAcceptDeps, MessageAccept } from './accept/accept-message';
export { type ConversationLookup, CachedConversationLookup } from './accept/conversation-lookup';
export type { ConversationAcceptances } from './ports/conversation-acceptances';
export { CachedAcceptances } from './acceptance/cached-acceptances';
export type { StoredIdVerdict } from './accept/stored-id-verdict';
export { FILES_COLLECTION, FILE_OUTCOMES_COLLECTION } from './file-collections';
