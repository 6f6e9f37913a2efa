import type { ServerFrame } from '../ws/frames';

/** A frame for some users connected to one node. */
export interface NodeDelivery {
  users: string[];
  frame: ServerFrame;
}

/**
 * Port: the per-node delivery channels (`hub:deliver:{node}`). Publishing
 * is fire-and-forget to whoever is subscribed now: a node that is gone
 * drops it, which is why every delivered message is also stored and
 * re-sent on resume.
 */
export interface NodeBus {
  publish(node: string, delivery: NodeDelivery): Promise<void>;
  /** Receives the deliveries addressed to `node` until the returned function is called. */
  subscribe(node: string, onDelivery: (delivery: NodeDelivery) => void): Promise<() => Promise<void>>;
}
