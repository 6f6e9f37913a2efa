export * from './identity-deps';
export * from './auth.routes';
export * from './clients.routes';
export * from './channels.routes';
export * from './compose-identity';
