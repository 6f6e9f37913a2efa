import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { MongoConversationStore } from '@hub/messages/adapters';
import { AccessTokens } from '@hub/platform';
import { isolatedServiceEnv } from '../../../test/support/service-env';

/** A presence node's environment: isolated namespaces, short heartbeats and TTL so tests run in seconds. */
export function presenceEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return isolatedServiceEnv({ PRESENCE_TTL_MS: '3000', WS_HEARTBEAT_INTERVAL_MS: '1000', WS_HEARTBEAT_MISSES: '3', ...overrides });
}

export function tokensFor(env: Record<string, string>): AccessTokens {
  return new AccessTokens({ secret: env.JWT_SECRET!, issuer: env.JWT_ISSUER ?? 'messaging-hub', accessTtlSeconds: 3600 });
}

/** An end user's access token as the frontend issues it (same key, issuer and claims). */
export async function userToken(
  env: Record<string, string>,
  user: string,
  opts: { sessionId?: string; ttlSeconds?: number } = {},
): Promise<string> {
  return tokensFor(env).issue(
    { kind: 'user', subject: user, scopes: ['messages:send', 'messages:read', 'files:write'], sessionId: opts.sessionId ?? randomUUID() },
    opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {},
  );
}

export function username(prefix = 'u'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Direct access to the test's own database and Redis prefix, for seeding and clean-up. */
export class TestStores {
  readonly mongo: MongoClient;
  readonly redis: Redis;

  constructor(readonly env: Record<string, string>) {
    this.mongo = new MongoClient(env.MONGO_URL!);
    this.redis = new Redis(env.REDIS_URL!, { keyPrefix: env.REDIS_KEY_PREFIX });
  }

  /** A conversation (with its memberships) through the pipeline's own store. */
  async conversation(members: string[]): Promise<string> {
    const id = randomUUID();
    await new MongoConversationStore(this.mongo.db(this.env.MONGO_DB)).create({
      conversation_id: id,
      type: 'group',
      members,
      created_at: new Date().toISOString(),
      created_by: 'client:test',
    });
    return id;
  }

  async close(): Promise<void> {
    await this.mongo
      .db(this.env.MONGO_DB)
      .dropDatabase()
      .catch(() => {});
    await this.mongo.close();
    const keys = await this.redis.keys(`${this.env.REDIS_KEY_PREFIX}*`);
    const prefix = this.env.REDIS_KEY_PREFIX!;
    if (keys.length) await this.redis.del(...keys.map((k) => k.slice(prefix.length)));
    this.redis.disconnect();
  }
}

/** Collects the envelopes on a topic (from its beginning) until stopped. */
export async function watchTopic(
  env: Record<string, string>,
  topic: string,
): Promise<{ envelopes: Array<{ type: string; id: string; payload: any }>; stop(): Promise<void> }> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'presence-test', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `t-${randomUUID()}` });
  const envelopes: Array<{ type: string; id: string; payload: any }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: `${env.KAFKA_NAME_PREFIX ?? ''}${topic}`, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void envelopes.push(JSON.parse(message.value!.toString())) });
  return { envelopes, stop: () => consumer.disconnect() };
}
