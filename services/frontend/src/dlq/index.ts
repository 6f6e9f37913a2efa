export * from './dlq-deps';
export * from './dlq.routes';
export * from './compose-dlq';
