export * from './app';
export * from './config';
export { createLivePush } from './live/create-live-push';
export type { LivePush } from './live/live-push';
