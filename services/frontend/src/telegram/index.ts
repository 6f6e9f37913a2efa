export * from './telegram-bridge-config';
export * from './telegram-deps';
export * from './telegram.routes';
export * from './compose-telegram';
