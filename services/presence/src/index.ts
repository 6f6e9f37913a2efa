export * from './app';
export * from './config';
export { createInternalDelivery } from './delivery/create-internal-delivery';
export type { InternalDelivery } from './delivery/internal-delivery';
