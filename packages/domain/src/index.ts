// The hub's vocabulary: topics, ids, envelopes, messages, statuses and the errors every package shares.
export { Topics, type TopicName, ConsumerGroups } from './topics';
export { newId, isUuid, uuidVersion, nameBasedId, UuidSchema } from './ids';
export { randomHex, RandomPool, randomPool } from './random-pool';
export { makeEnvelope, parseEnvelope, type Envelope, EnvelopeSchema, EnvelopeParseError } from './envelope';
export { isTransient, TransientError, PermanentError } from './errors';
export {
  principalRef,
  hasScope,
  isAdmin,
  USERNAME_PATTERN,
  UsernameSchema,
  SCOPES,
  ScopeSchema,
  type Scope,
  USER_SCOPES,
  type Principal,
} from './identity';
export {
  CHANNELS,
  ChannelSchema,
  type Channel,
  type ExternalChannel,
  MAX_TEXT_LENGTH,
  MAX_CAPTION_LENGTH,
  MAX_RECIPIENTS,
  TextPayloadSchema,
  FilePayloadSchema,
  PayloadSchema,
  type Payload,
  type FileInfo,
  SendMessageRequestSchema,
  type SendMessageRequest,
  MESSAGE_SOURCES,
  type MessageSource,
  type MessageEvent,
  MESSAGE_ACCEPTED,
  MESSAGE_STATUS,
  type StoredMessage,
  FileInfoSchema,
  MessageEventSchema,
  RECORD_POISON,
  type PoisonRecord,
} from './message';
export {
  statusRank,
  canTransition,
  rollUp,
  STATUSES,
  StatusSchema,
  type Status,
  TERMINAL_STATUSES,
  type StatusEvent,
  type StatusHistoryEntry,
  type RecipientChannelKey,
  StatusEventSchema,
} from './status';
export { statusEvent, statusEventId, statusRecord, type StatusSubject, type StatusChange } from './status-event';
export { type UserRecord, type ChannelMapping, type IdentityDirectory, EtcdKeys } from './directory';
export {
  fileUnusableReason,
  FILE_STATUSES,
  type FileStatus,
  type FileFailureReason,
  Sha256HexSchema,
  FILE_COMPLETED,
  type FileEvent,
  type FileView,
  type FileCatalog,
} from './file';
export {
  directConversationKey,
  CONVERSATION_TYPES,
  type ConversationType,
  MAX_CONVERSATION_MEMBERS,
  type Conversation,
  ConversationTypeSchema,
  DIRECT_CONVERSATION_NAMESPACE,
} from './conversation';
export { buildStatusView, type RecordedStatus, type RecipientState, type MessageStatusView } from './status-view';
