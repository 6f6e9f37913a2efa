export * from './redis';
export * from './expiring-store';
