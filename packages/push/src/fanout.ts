import type { NodeBus, NodePush } from './ports/node-bus';
import type { PresenceStore } from './ports/presence-store';
import type { ServerFrame } from './server-frames';

/**
 * Sends a frame to users wherever they are connected: looks up their live
 * connections, then one publish per node on its delivery channel (this
 * node's own share is handed over in-process).
 */
export class Fanout {
  constructor(
    private readonly store: PresenceStore,
    private readonly bus: NodeBus,
    private readonly self?: { node: string; deliver: (d: NodePush) => void },
  ) {}

  /** Resolves with the users that had a live connection (the frame went to their nodes). */
  async toUsers(users: readonly string[], frame: ServerFrame): Promise<Set<string>> {
    const [reached] = await this.many([{ users, frame }]);
    return reached!;
  }

  /**
   * Several frames, each to its users, with one presence lookup for all of
   * them. Frames are published in the given order (one connection keeps
   * Redis' order per channel), so one conversation's messages reach a node
   * in sequence. Resolves with the users reached, per frame.
   */
  async many(items: ReadonlyArray<{ users: readonly string[]; frame: ServerFrame; traceparent?: string }>): Promise<Set<string>[]> {
    const all = [...new Set(items.flatMap((i) => i.users))];
    const nodesOf = new Map<string, Set<string>>();
    if (all.length > 0)
      for (const { user, connections } of await this.store.connectionsOf(all)) nodesOf.set(user, new Set(connections.map((c) => c.node)));
    const publishes: Promise<void>[] = [];
    const reached = items.map(({ users, frame, traceparent }) => {
      const got = new Set<string>();
      const byNode = new Map<string, string[]>();
      for (const user of users) {
        const nodes = nodesOf.get(user);
        if (!nodes) continue;
        got.add(user);
        for (const node of nodes) {
          const list = byNode.get(node);
          if (list) list.push(user);
          else byNode.set(node, [user]);
        }
      }
      for (const [node, nodeUsers] of byNode) {
        const push: NodePush = traceparent ? { users: nodeUsers, frame, traceparent } : { users: nodeUsers, frame };
        if (this.self && node === this.self.node) this.self.deliver(push);
        else publishes.push(this.bus.publish(node, push));
      }
      return got;
    });
    await Promise.all(publishes);
    return reached;
  }
}
