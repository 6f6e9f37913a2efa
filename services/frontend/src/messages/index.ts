export * from './messages-deps';
export * from './compose-messages';
export * from './conversations.routes';
export * from './messages.routes';
