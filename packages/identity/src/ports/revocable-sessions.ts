import type { SessionRevocations } from '@hub/platform';

/** Port: session revocation, writable. Revoking tells every instance (and the WebSocket gateways) at once. */
export interface RevocableSessions extends SessionRevocations {
  revoke(sessionId: string): Promise<void>;
}
