/** Envelope type of PresenceEvents on hub.presence.v1 (key: the username). */
export const PRESENCE_CHANGED = 'presence.changed';

/** Payload of `presence.changed`: a user came online (first connection) or went offline (last one closed or expired). */
export interface PresenceEvent {
  user: string;
  status: 'online' | 'offline';
  /** The node that saw the transition (for an expiry: the node that swept the crashed one). */
  node: string;
  /** Why a user went offline: `disconnected` or `expired` (their node stopped refreshing). */
  reason?: 'connected' | 'disconnected' | 'expired';
  occurred_at: string;
}
