import type { Membership } from './ports/memberships';
import type { PresenceTracker } from './presence-tracker';
import type { TypingRelay } from './typing';
import type { UserConversations } from './user-conversations';
import type { Connection } from './ws/connection';
import { FrameError } from './ws/frame-error';
import type { ClientFrame } from './ws/frames';
import type { ConnectionHooks } from './ws/gateway';

/** Handlers of the receipts and sends (`ack`, `read`, `send`, `resume`); absent until live delivery is wired. */
export interface LiveSessionHooks {
  /** Right at open, before any await: from here the connection's live frames are held, not lost. */
  attach(conn: Connection): void;
  /** After presence registration, with the user's memberships: starts catch-up and releases the held frames. */
  opened(conn: Connection, memberships: Membership[]): Promise<void>;
  closed(conn: Connection): void;
  frame(conn: Connection, frame: Extract<ClientFrame, { op: 'ack' | 'read' | 'send' | 'resume' }>): Promise<void>;
  deliver: NonNullable<ConnectionHooks['deliver']>;
}

/** What the gateway does around each connection: presence, typing and (when wired) delivery. */
export function connectionHooks(d: {
  tracker: PresenceTracker;
  typing: TypingRelay;
  conversations: UserConversations;
  live?: LiveSessionHooks;
}): ConnectionHooks {
  return {
    async opened(conn, ready) {
      d.live?.attach(conn);
      // One membership read per connect serves the catch-up and the presence announcement's peers.
      const [memberships] = await Promise.all([d.conversations.load(conn.user), d.tracker.connected(conn.user, conn.id)]);
      ready();
      await d.live?.opened(conn, memberships);
    },
    async closed(conn, lastOnNode) {
      d.live?.closed(conn);
      await d.tracker.disconnected(conn.user, conn.id, lastOnNode, lastOnNode ? () => d.conversations.forget(conn.user) : undefined);
    },
    async frame(conn, frame) {
      if (frame.op === 'typing') return d.typing.typing(conn.user, frame.d.conversation_id, frame.d.user);
      if (!d.live) throw new FrameError('unavailable', `${frame.op} is not available on this node yet`);
      return d.live.frame(conn, frame);
    },
    ...(d.live ? { deliver: d.live.deliver } : {}),
  };
}
