import { makeEnvelope, Topics } from '@hub/domain';
import type { EventPublisher, Logger } from '@hub/platform';
import type { Fanout, PresenceStore } from '@hub/push';
import { PRESENCE_CHANGED, type PresenceEvent } from './presence-event';

export interface PresenceTrackerDeps {
  node: string;
  store: PresenceStore;
  /** Who shares a conversation with the user (cached for users connected here). */
  peersOf(user: string): Promise<string[]>;
  fanout: Fanout;
  events: EventPublisher;
  logger: Logger;
  ttlMs: number;
  /** This node's live connections, refreshed in Redis on every tick. */
  liveConnections: () => Iterable<{ user: string; id: string }>;
}

/**
 * Keeps this node's connections in the presence store and announces
 * online/offline transitions (PresenceEvent on hub.presence.v1, `presence`
 * frames to the user's conversation peers). Its timer refreshes the
 * entries (a third of the TTL) and sweeps crashed nodes (a sixth), so a
 * crashed node's users are announced offline within the TTL.
 */
export class PresenceTracker {
  private refreshTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly d: PresenceTrackerDeps) {}

  async connected(user: string, connId: string): Promise<void> {
    const { cameOnline } = await this.d.store.addConnection(user, { node: this.d.node, connId });
    if (cameOnline) this.track(this.announce(user, 'online', 'connected'));
  }

  /** `forget` runs once the user's offline announcement (if any) is out. */
  async disconnected(user: string, connId: string, lastOnNode: boolean, forget: () => void = () => {}): Promise<void> {
    const { wentOffline } = await this.d.store.removeConnection(user, { node: this.d.node, connId }, { lastOnNode });
    if (wentOffline) this.track(this.announce(user, 'offline', 'disconnected').finally(forget));
    else forget();
  }

  /**
   * Clears what an earlier process with this node id left behind (its users
   * are announced offline). Call before accepting connections: it removes
   * every entry of the node.
   */
  async clearPrevious(): Promise<void> {
    try {
      for (const user of await this.d.store.clearNode(this.d.node)) await this.announce(user, 'offline', 'expired');
    } catch (err) {
      this.d.logger.warn({ err: { message: (err as Error).message } }, 'could not clear entries of an earlier process with this node id');
    }
  }

  /** Refreshes this node's entries and sweeps crashed nodes on timers. */
  start(): void {
    const refreshEvery = Math.max(100, Math.floor(this.d.ttlMs / 3));
    const sweepEvery = Math.max(100, Math.floor(this.d.ttlMs / 6));
    this.refreshTimer = setInterval(() => this.track(this.refresh()), refreshEvery);
    this.sweepTimer = setInterval(() => this.track(this.sweep()), sweepEvery);
    this.refreshTimer.unref();
    this.sweepTimer.unref();
    this.track(this.refresh());
  }

  /** Stops the timers and waits for announcements in flight. */
  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.pending]);
  }

  async refresh(): Promise<void> {
    const conns = [...this.d.liveConnections()].map((c) => ({ user: c.user, connId: c.id }));
    try {
      await this.d.store.refresh(this.d.node, conns);
    } catch (err) {
      this.d.logger.warn(
        { err: { message: (err as Error).message } },
        'presence refresh failed; entries expire unless the next one succeeds',
      );
    }
  }

  async sweep(): Promise<void> {
    try {
      for (const user of await this.d.store.sweepDeadNodes(this.d.node)) await this.announce(user, 'offline', 'expired');
    } catch (err) {
      this.d.logger.warn({ err: { message: (err as Error).message } }, 'presence sweep failed');
    }
  }

  private async announce(user: string, status: 'online' | 'offline', reason: PresenceEvent['reason']): Promise<void> {
    const event: PresenceEvent = { user, status, node: this.d.node, reason, occurred_at: new Date().toISOString() };
    const [published, framed] = await Promise.allSettled([
      this.d.events.publish({ topic: Topics.presence, key: user, envelope: makeEnvelope(PRESENCE_CHANGED, event) }),
      this.d.peersOf(user).then((peers) => this.d.fanout.toUsers(peers, { op: 'presence', d: { user, status } })),
    ]);
    if (published.status === 'rejected')
      this.d.logger.warn({ err: { message: String(published.reason) }, user, status }, 'presence event not published');
    if (framed.status === 'rejected')
      this.d.logger.warn({ err: { message: String(framed.reason) }, user, status }, 'presence frames not sent');
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    // Tracked promises log their own failures (refresh, sweep and announce catch), so finally() never rejects.
    void p.finally(() => this.pending.delete(p));
  }
}
