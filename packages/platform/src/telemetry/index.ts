export * from './start-tracing';
export * from './tracing-config';
export * from './spans';
