import type { Redis } from 'ioredis';
import { subscribeRevocations } from '@hub/identity/adapters';
import type { RevocationFeed } from '../ports/revocation-feed';

/** Adapter: RevocationFeed on identity's Redis revocation channel. `sub` is the process' subscribe-only connection. */
export class RedisRevocationFeed implements RevocationFeed {
  constructor(
    private readonly sub: Redis,
    private readonly keyPrefix: string,
  ) {}

  subscribe(onRevoked: (sessionId: string) => void): Promise<() => Promise<void>> {
    return subscribeRevocations(this.sub, onRevoked, this.keyPrefix);
  }
}
