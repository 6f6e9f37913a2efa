import type { ServerFrame } from '../server-frames';

/** A frame for some users connected to one node. */
export interface NodePush {
  users: string[];
  frame: ServerFrame;
}

/**
 * Port: the per-node push channels (`hub:deliver:{node}`). Publishing
 * is fire-and-forget to whoever is subscribed now: a node that is gone
 * drops it, which is why every delivered message is also stored and
 * re-sent on resume.
 */
export interface NodeBus {
  publish(node: string, push: NodePush): Promise<void>;
  /** Receives the pushes addressed to `node` until the returned function is called. */
  subscribe(node: string, onPush: (push: NodePush) => void): Promise<() => Promise<void>>;
}
