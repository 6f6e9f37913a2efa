export * from './kafka';
export * from './trace-headers';
export * from './event-publisher';
export * from './batching-producer';
export * from './event-consumer';
export * from './coalesce-batches';
export * from './kafka-security';
export * from './consumer-lag';
