export { createPresenceApp, type PresenceDeps } from './app';
export { presenceConfigSchema, loadPresenceConfig, type PresenceConfig } from './config';
