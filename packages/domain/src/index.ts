export * from './topics';
export * from './ids';
export * from './envelope';
export * from './errors';
export * from './identity';
export * from './message';
export * from './status';
export * from './directory';
