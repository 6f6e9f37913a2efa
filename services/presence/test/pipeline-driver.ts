import { newId, type StoredMessage } from '@hub/domain';
import { MongoMessageStore, MongoSequenceSlots } from '@hub/messages/adapters';
import { createLogger, createRedis, type Redis } from '@hub/platform';
import { MongoClient } from 'mongodb';
import { Fanout, LivePush, RedisNodeBus, RedisPresenceStore, type LivePushOutcome } from '@hub/push';

/**
 * Does what the router's route worker does for a message, with the real
 * pieces: takes the next sequence number's slot, as the router does,
 * stores the message through the pipeline's store, then hands it to the
 * internal delivery (Redis presence lookup → node channel). For presence
 * tests that must control exactly when a message is stored and pushed.
 */
export class PipelineDriver {
  private readonly mongo: MongoClient;
  private readonly redis: Redis;
  private readonly sub: Redis;
  private readonly push: LivePush;

  constructor(private readonly env: Record<string, string>) {
    this.mongo = new MongoClient(env.MONGO_URL!);
    this.redis = createRedis({ url: env.REDIS_URL!, keyPrefix: env.REDIS_KEY_PREFIX });
    this.sub = createRedis({ url: env.REDIS_URL! });
    const store = new RedisPresenceStore(this.redis, { ttlMs: Number(env.PRESENCE_TTL_MS ?? 300_000) });
    this.push = new LivePush(
      new Fanout(store, new RedisNodeBus(this.redis, this.sub, env.REDIS_KEY_PREFIX!, createLogger({ service: 'test', level: 'silent' }))),
    );
  }

  /** Stores and routes one message from `from` to `to` in the conversation; resolves with the stored message and the outcome per recipient. */
  async send(
    conversationId: string,
    from: string,
    to: string[],
    text: string,
  ): Promise<{ message: StoredMessage; outcomes: LivePushOutcome[] }> {
    const db = this.mongo.db(this.env.MONGO_DB);
    const slots = new MongoSequenceSlots(db);
    const id = newId();
    let seq = 0;
    for (;;) {
      seq = (await slots.last(conversationId, 0)) + 1;
      const taken = await slots.take([
        { conversation_id: conversationId, sequence_number: seq, message_id: id, partition: 0, offset: '0' },
      ]);
      if (!taken.refused) break;
    }
    const now = new Date().toISOString();
    const message: StoredMessage = {
      message_id: id,
      conversation_id: conversationId,
      sequence_number: seq,
      from,
      to,
      channels: ['internal'],
      payload: { type: 'text', text },
      source: 'api',
      accepted_at: now,
      stored_at: now,
      submitted_by: `user:${from}`,
    };
    await new MongoMessageStore(db).insert([message]);
    const outcomes = await this.push.deliver(to.map((recipient) => ({ message, recipient, channel: 'internal' })));
    return { message, outcomes };
  }

  async close(): Promise<void> {
    await this.mongo.close();
    this.redis.disconnect();
    this.sub.disconnect();
  }
}
