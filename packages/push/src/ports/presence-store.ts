/** One live WebSocket connection as presence knows it. */
export interface ConnectionRef {
  node: string;
  connId: string;
}

export interface UserConnections {
  user: string;
  connections: ConnectionRef[];
}

/**
 * Port: who is online where. A user is online while any of their
 * connections has an unexpired entry; entries expire `ttlMs` after the
 * owning node last refreshed them, so a crashed node's users turn offline
 * by themselves. Transitions are decided atomically by the store, so two
 * nodes never both announce the same user online.
 */
export interface PresenceStore {
  /** Registers a connection; `cameOnline` when the user had no live connection before. */
  addConnection(user: string, ref: ConnectionRef): Promise<{ cameOnline: boolean }>;
  /**
   * Removes a connection; `wentOffline` when it was the user's last live one.
   * `lastOnNode`: the user has no other connection on this node.
   */
  removeConnection(user: string, ref: ConnectionRef, opts: { lastOnNode: boolean }): Promise<{ wentOffline: boolean }>;
  /** Extends the entries of these live connections of `node` (and the node's own liveness). */
  refresh(node: string, connections: ReadonlyArray<{ user: string; connId: string }>): Promise<void>;
  /** Live connections of each user (users without any are left out). */
  connectionsOf(users: readonly string[]): Promise<UserConnections[]>;
  isOnline(user: string): Promise<boolean>;
  /**
   * Clears the entries of nodes that stopped refreshing for longer than the
   * TTL (crashed) and returns the users that went offline because of it.
   * Safe to call from every node: one of them does the work per dead node.
   */
  sweepDeadNodes(selfNode: string): Promise<string[]>;
  /**
   * Removes every entry of `node` and returns the users that went offline
   * because of it. A node calls it for itself at start, for what a previous
   * process with the same id left behind.
   */
  clearNode(node: string): Promise<string[]>;
}
