import type { Redis } from 'ioredis';
import type { Logger } from '@hub/platform';
import type { NodeBus, NodePush } from '../ports/node-bus';

/** The push channel of a node. Pub/sub ignores ioredis' keyPrefix, so the prefix is part of the name (default `hub:deliver:{node}`). */
export function pushChannel(node: string, keyPrefix = 'hub:'): string {
  return `${keyPrefix}deliver:${node}`;
}

/** Adapter: NodeBus on Redis pub/sub. `sub` must be a connection used only for SUBSCRIBE. */
export class RedisNodeBus implements NodeBus {
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
  ) {}

  async publish(node: string, push: NodePush): Promise<void> {
    await this.pub.publish(pushChannel(node, this.keyPrefix), JSON.stringify(push));
  }

  async subscribe(node: string, onPush: (push: NodePush) => void): Promise<() => Promise<void>> {
    const channel = pushChannel(node, this.keyPrefix);
    const listener = (ch: string, message: string) => {
      if (ch !== channel) return;
      let push: NodePush;
      try {
        push = JSON.parse(message) as NodePush;
        if (!Array.isArray(push.users) || typeof push.frame?.op !== 'string') throw new Error('not a push');
      } catch (err) {
        this.logger.warn({ err: { message: (err as Error).message }, channel }, 'dropped a malformed node push');
        return;
      }
      onPush(push);
    };
    this.sub.on('message', listener);
    await this.sub.subscribe(channel);
    return async () => {
      this.sub.off('message', listener);
      await this.sub.unsubscribe(channel).catch(() => {});
    };
  }
}
