export * from './collections';
export * from './ports/conversation-store';
export * from './ports/message-store';
export * from './ports/status-store';
export * from './adapters/mongo-conversation-store';
export * from './adapters/mongo-message-store';
export * from './adapters/mongo-status-store';
