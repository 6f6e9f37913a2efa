import type { Redis } from 'ioredis';
import type { RevocableSessions } from '../ports/revocable-sessions';

/** The pub/sub channel that announces revoked session ids (one message per revocation, the id as text). */
export function revocationsChannel(keyPrefix = 'hub:'): string {
  return `${keyPrefix}revocations`;
}

/**
 * Adapter: session revocations in Redis (`revoked:<session id>`, kept as
 * long as any token of the session could still be presented), announced on
 * the revocations channel so WebSocket gateways can close those sessions.
 */
export class RedisSessionRevocations implements RevocableSessions {
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly rememberMs: number,
  ) {
    // Pub/sub channels ignore ioredis' keyPrefix, so the prefix is added here to keep instances (and tests) apart.
    this.channel = revocationsChannel(redis.options.keyPrefix || 'hub:');
  }

  async revoke(sessionId: string): Promise<void> {
    await this.redis.multi().set(`revoked:${sessionId}`, '1', 'PX', this.rememberMs).publish(this.channel, sessionId).exec();
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(`revoked:${sessionId}`)) === 1;
  }
}

/**
 * Calls onRevoked with each session id revoked from now on, on any
 * instance. `redisSub` must be a connection used only for subscriptions
 * (Infra.redisSub); `keyPrefix` is the REDIS_KEY_PREFIX of the writers.
 * Returns a function that unsubscribes.
 */
export async function subscribeRevocations(
  redisSub: Redis,
  onRevoked: (sessionId: string) => void,
  keyPrefix = 'hub:',
): Promise<() => Promise<void>> {
  const channel = revocationsChannel(keyPrefix);
  const listener = (ch: string, message: string) => {
    if (ch === channel) onRevoked(message);
  };
  redisSub.on('message', listener);
  await redisSub.subscribe(channel);
  return async () => {
    redisSub.off('message', listener);
    await redisSub.unsubscribe(channel).catch(() => {});
  };
}
