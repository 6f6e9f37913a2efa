export { createLivePush } from './create-live-push';
export { LivePush, type LivePushOutcome, type LivePushRequest } from './live-push';
export { Fanout } from './fanout';
export type { NodeBus, NodePush } from './ports/node-bus';
export type { ConnectionRef, PresenceStore, UserConnections } from './ports/presence-store';
export { pushChannel, RedisNodeBus } from './adapters/redis-node-bus';
export { RedisPresenceStore } from './adapters/redis-presence-store';
export {
  errorFrame,
  messageFrame,
  type FrameErrorCode,
  type MessageFrameData,
  type ServerFrame,
  type StatusFrameData,
} from './server-frames';
