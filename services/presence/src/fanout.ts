import type { NodeBus, NodeDelivery } from './ports/node-bus';
import type { PresenceStore } from './ports/presence-store';
import type { ServerFrame } from './ws/frames';

/**
 * Sends a frame to users wherever they are connected: looks up their live
 * connections, then one publish per node on its delivery channel (this
 * node's own share is handed over in-process).
 */
export class Fanout {
  constructor(
    private readonly store: PresenceStore,
    private readonly bus: NodeBus,
    private readonly self?: { node: string; deliver: (d: NodeDelivery) => void },
  ) {}

  /** Resolves with the users that had a live connection (the frame went to their nodes). */
  async toUsers(users: readonly string[], frame: ServerFrame): Promise<Set<string>> {
    const reached = new Set<string>();
    if (users.length === 0) return reached;
    const byNode = new Map<string, string[]>();
    for (const { user, connections } of await this.store.connectionsOf(users)) {
      reached.add(user);
      for (const node of new Set(connections.map((c) => c.node))) {
        const list = byNode.get(node);
        if (list) list.push(user);
        else byNode.set(node, [user]);
      }
    }
    await Promise.all(
      [...byNode].map(async ([node, nodeUsers]) => {
        if (this.self && node === this.self.node) this.self.deliver({ users: nodeUsers, frame });
        else await this.bus.publish(node, { users: nodeUsers, frame });
      }),
    );
    return reached;
  }
}
