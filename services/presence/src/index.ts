export { createPresenceApp, type PresenceDeps } from './app';
export { presenceConfigSchema, loadPresenceConfig, type PresenceConfig } from './config';
export { createLivePush } from './live/create-live-push';
export type { LivePush } from './live/live-push';
