// Driver-backed implementations of @hub/messages's ports, for composition roots (main.ts, compose-*.ts) and
// integration tests. Domain code depends on the ports from '@hub/messages', never on these.
export { RedisMessageIdClaims } from './redis-message-id-claims';
export { MongoRejectedRecords } from './mongo-rejected-records';
export { type MembershipDoc, MongoConversationStore } from './mongo-conversation-store';
export { messageStoreFor, MongoMessageStore } from './mongo-message-store';
export { MongoStatusStore } from './mongo-status-store';
export { MongoSequenceSlots } from './mongo-sequence-slots';
export { MongoConversationAcceptances } from './mongo-conversation-acceptances';
export { MongoFileCatalog } from './mongo-file-catalog';
