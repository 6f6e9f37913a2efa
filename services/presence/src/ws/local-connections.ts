import type { Connection } from './connection';

/** The connections of this node, by user and by session. */
export class LocalConnections {
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly bySession = new Map<string, Set<Connection>>();
  private readonly all = new Set<Connection>();

  get size(): number {
    return this.all.size;
  }

  add(conn: Connection): void {
    this.all.add(conn);
    addTo(this.byUser, conn.user, conn);
    addTo(this.bySession, conn.sessionId, conn);
  }

  /** Removes the connection; true when it was the user's last one on this node. */
  remove(conn: Connection): boolean {
    if (!this.all.delete(conn)) return false;
    removeFrom(this.bySession, conn.sessionId, conn);
    return removeFrom(this.byUser, conn.user, conn);
  }

  ofUser(user: string): ReadonlySet<Connection> {
    return this.byUser.get(user) ?? EMPTY;
  }

  ofSession(sessionId: string): ReadonlySet<Connection> {
    return this.bySession.get(sessionId) ?? EMPTY;
  }

  connections(): IterableIterator<Connection> {
    return this.all.values();
  }

  users(): IterableIterator<string> {
    return this.byUser.keys();
  }
}

const EMPTY: ReadonlySet<Connection> = new Set();

function addTo(map: Map<string, Set<Connection>>, key: string, conn: Connection): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(conn);
}

function removeFrom(map: Map<string, Set<Connection>>, key: string, conn: Connection): boolean {
  const set = map.get(key);
  if (!set) return false;
  set.delete(conn);
  if (set.size > 0) return false;
  map.delete(key);
  return true;
}
