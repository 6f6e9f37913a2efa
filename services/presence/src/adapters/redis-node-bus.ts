import type { Redis } from 'ioredis';
import type { Logger } from '@hub/platform';
import type { NodeBus, NodeDelivery } from '../ports/node-bus';

/** The delivery channel of a node. Pub/sub ignores ioredis' keyPrefix, so the prefix is part of the name (default `hub:deliver:{node}`). */
export function deliverChannel(node: string, keyPrefix = 'hub:'): string {
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

  async publish(node: string, delivery: NodeDelivery): Promise<void> {
    await this.pub.publish(deliverChannel(node, this.keyPrefix), JSON.stringify(delivery));
  }

  async subscribe(node: string, onDelivery: (delivery: NodeDelivery) => void): Promise<() => Promise<void>> {
    const channel = deliverChannel(node, this.keyPrefix);
    const listener = (ch: string, message: string) => {
      if (ch !== channel) return;
      let delivery: NodeDelivery;
      try {
        delivery = JSON.parse(message) as NodeDelivery;
        if (!Array.isArray(delivery.users) || typeof delivery.frame?.op !== 'string') throw new Error('not a delivery');
      } catch (err) {
        this.logger.warn({ err: { message: (err as Error).message }, channel }, 'dropped a malformed node delivery');
        return;
      }
      onDelivery(delivery);
    };
    this.sub.on('message', listener);
    await this.sub.subscribe(channel);
    return async () => {
      this.sub.off('message', listener);
      await this.sub.unsubscribe(channel).catch(() => {});
    };
  }
}
