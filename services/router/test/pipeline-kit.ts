import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import {
  MESSAGE_ACCEPTED,
  makeEnvelope,
  newId,
  Topics,
  type Conversation,
  type Envelope,
  type MessageEvent,
  type StoredMessage,
} from '@hub/domain';
import { pipelineIndexes } from '@hub/messages';
import { MongoConversationStore } from '@hub/messages/adapters';
import { ensureIndexes, ensureTopics } from '@hub/platform';
import { isolatedServiceEnv } from '../../../test/support/service-env';
import { eventually } from '../../../test/support/spawn-service';

/** One record read back from a topic. */
export interface SeenRecord {
  key: string | null;
  partition: number;
  offset: string;
  envelope?: Envelope;
  raw: string;
}

/**
 * The real stack under a private namespace for pipeline tests: the env to
 * spawn routers (and frontends) with, and direct access to the same topics
 * and database to set up and check what the services did.
 */
export interface PipelineKit {
  env: Record<string, string>;
  db: Db;
  conversations: MongoConversationStore;
  createConversation(members: string[]): Promise<Conversation>;
  /** Produces a MessageEvent (accepted now) the way the frontend does. */
  produceMessage(event: Partial<MessageEvent> & { conversation_id: string; from: string; to: string[] }): Promise<MessageEvent>;
  produceRaw(topic: string, key: string, value: string): Promise<void>;
  /** Every record on the topic so far (read from the beginning by a throwaway consumer group). */
  records(topic: string, atLeast: number, timeoutMs?: number): Promise<SeenRecord[]>;
  stored(conversationId: string): Promise<StoredMessage[]>;
  waitStored(conversationId: string, count: number, timeoutMs?: number): Promise<StoredMessage[]>;
  cleanup(): Promise<void>;
}

export async function startPipelineKit(overrides: Record<string, string> = {}): Promise<PipelineKit> {
  const env = isolatedServiceEnv({ KAFKA_TOPIC_PARTITIONS: '3', ...overrides });
  const prefix = env.KAFKA_NAME_PREFIX!;
  const kafka = new Kafka({
    brokers: env.KAFKA_BROKERS!.split(','),
    clientId: `t-kit-${randomUUID().slice(0, 6)}`,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    Object.values(Topics).map((topic) => ({ topic })),
    Number(env.KAFKA_TOPIC_PARTITIONS),
    prefix,
  );
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const mongo = new MongoClient(env.MONGO_URL!);
  await mongo.connect();
  const db = mongo.db(env.MONGO_DB!);
  await ensureIndexes(db, pipelineIndexes);
  const conversations = new MongoConversationStore(db);
  const consumers: Consumer[] = [];

  const kit: PipelineKit = {
    env,
    db,
    conversations,
    async createConversation(members) {
      const c: Conversation = {
        conversation_id: newId(),
        type: members.length === 2 ? 'direct' : 'group',
        members,
        created_at: new Date().toISOString(),
        created_by: 'user:test',
      };
      await conversations.create(c);
      return c;
    },
    async produceMessage(partial) {
      const event: MessageEvent = {
        message_id: newId(),
        channels: ['internal'],
        payload: { type: 'text', text: 'hello' },
        source: 'api',
        accepted_at: new Date().toISOString(),
        submitted_by: `user:${partial.from}`,
        ...partial,
      };
      await producer.send({
        topic: prefix + Topics.messages,
        acks: -1,
        messages: [{ key: event.conversation_id, value: JSON.stringify(makeEnvelope(MESSAGE_ACCEPTED, event)) }],
      });
      return event;
    },
    async produceRaw(topic, key, value) {
      await producer.send({ topic: prefix + topic, acks: -1, messages: [{ key, value }] });
    },
    async records(topic, atLeast, timeoutMs = 30_000) {
      const seen: SeenRecord[] = [];
      const consumer = kafka.consumer({ groupId: `t-read-${randomUUID()}` });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [prefix + topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const raw = message.value?.toString() ?? '';
          let envelope: Envelope | undefined;
          try {
            envelope = JSON.parse(raw) as Envelope;
          } catch {
            envelope = undefined;
          }
          seen.push({ key: message.key?.toString() ?? null, partition, offset: message.offset, raw, ...(envelope ? { envelope } : {}) });
        },
      });
      try {
        await eventually(() => seen.length >= atLeast, { timeoutMs, what: `${atLeast} records on ${topic} (have ${seen.length})` });
        // Anything that was going to arrive with them has arrived by now.
        await new Promise((r) => setTimeout(r, 500));
        return [...seen];
      } finally {
        await consumer.disconnect();
      }
    },
    async stored(conversationId) {
      const docs = await db.collection<StoredMessage & { _id: string }>('messages').find({ conversation_id: conversationId }).toArray();
      return docs.map(({ _id, ...m }) => m).sort((a, b) => a.sequence_number - b.sequence_number);
    },
    async waitStored(conversationId, count, timeoutMs = 30_000) {
      let last: StoredMessage[] = [];
      await eventually(
        async () => {
          last = await kit.stored(conversationId);
          return last.length >= count;
        },
        { timeoutMs, what: `${count} stored messages in ${conversationId}` },
      ).catch((err: Error) => {
        throw new Error(`${err.message} (have ${last.length})`);
      });
      return last;
    },
    async cleanup() {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await producer.disconnect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length) await admin.deleteTopics({ topics }).catch(() => {});
      await admin.disconnect();
      await db.dropDatabase().catch(() => {});
      await mongo.close();
    },
  };
  return kit;
}
