import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoDeadLetterStore } from '@hub/outbound/adapters';
import { makeEnvelope, MESSAGE_ACCEPTED, newId, Topics, type Channel, type MessageEvent, type Payload } from '@hub/domain';
import { ChannelMappingsRepository } from '@hub/identity';
import { MongoConversationStore, MongoStatusStore } from '@hub/messages/adapters';
import { BatchingProducer, connectMongo, createKafka, createLogger, EtcdStore, type MongoHandle } from '@hub/platform';
import { FakeTelegramServer } from '../../../../test/support/fake-telegram-server';
import { cleanupTestEnv } from '../../../../test/support/identity';
import { isolatedServiceEnv } from '../../../../test/support/service-env';
import { eventually, spawnService, type ServiceProcess } from '../../../../test/support/spawn-service';

// The router process as production runs it (route worker, external delivery,
// retry worker, status writer) on the real stack, fed accepted messages on
// hub.messages.v1 exactly as the frontend's accept path writes them, with a
// fake Telegram Bot API server behind TELEGRAM_API_ROOT.

const quiet = createLogger({ service: 'test', level: 'silent' });
let fake: FakeTelegramServer;
let env: Record<string, string>;
let router: ServiceProcess;
let mongo: MongoHandle;
let etcd: EtcdStore;
let producer: BatchingProducer;
const conversationId = randomUUID();

function accepted(payload: Payload, to: string[], channels: Channel[]): MessageEvent {
  return {
    message_id: newId(),
    conversation_id: conversationId,
    from: 'alice',
    to,
    channels,
    payload,
    source: 'api',
    accepted_at: new Date().toISOString(),
    submitted_by: 'user:alice',
  };
}

beforeAll(async () => {
  fake = await FakeTelegramServer.start();
  env = isolatedServiceEnv({
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    CONNECTORS_ENABLED: 'telegram,whatsapp',
    TELEGRAM_RATE_PER_CHAT_PER_S: '5',
  });
  etcd = new EtcdStore({ hosts: env.ETCD_HOSTS!.split(','), namespace: env.ETCD_NAMESPACE! });
  const mappings = new ChannelMappingsRepository(etcd);
  await mappings.link('bob', 'telegram', '7001');
  await mappings.link('bob', 'whatsapp', '4915100007001');
  mongo = await connectMongo({ url: env.MONGO_URL!, database: env.MONGO_DB! });
  await new MongoConversationStore(mongo.db).create({
    conversation_id: conversationId,
    type: 'group',
    members: ['alice', 'bob', 'carol'],
    created_at: new Date().toISOString(),
    created_by: 'user:alice',
  });
  router = await spawnService('router', env);
  const kafka = createKafka({
    brokers: env.KAFKA_BROKERS!.split(','),
    clientId: 't-e2e',
    logger: quiet,
    namePrefix: env.KAFKA_NAME_PREFIX!,
  });
  producer = new BatchingProducer(kafka, quiet);
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await router?.stop();
  await mongo?.close();
  etcd?.close();
  await fake?.close();
  if (env) await cleanupTestEnv(env);
});

async function publish(event: MessageEvent): Promise<void> {
  await producer.publish({ topic: Topics.messages, key: event.conversation_id, envelope: makeEnvelope(MESSAGE_ACCEPTED, event) });
}

describe('router end to end: accepted message → Telegram', () => {
  it('delivers a hub message to the mapped chat once, with the right text, and records sent with the Telegram message id', async () => {
    const event = accepted({ type: 'text', text: 'Your parcel is on its way 📦' }, ['bob'], ['internal', 'telegram', 'whatsapp']);
    await publish(event);
    await eventually(() => fake.textsTo(7001).length === 1, { what: 'Telegram sendMessage', timeoutMs: 30_000 });
    const statuses = new MongoStatusStore(mongo.db);
    await eventually(async () => (await statuses.forMessage(event.message_id)).filter((s) => s.status === 'sent').length >= 2, {
      what: 'sent statuses',
      timeoutMs: 20_000,
    });
    const recorded = await statuses.forMessage(event.message_id);
    const call = fake.sent('sendMessage').find((c) => String(c.params.chat_id) === '7001')!;
    expect(recorded.find((s) => s.channel === 'telegram' && s.status === 'sent')).toMatchObject({
      recipient: 'bob',
      external_id: String(call.result!.message_id),
    });
    expect(recorded.find((s) => s.channel === 'whatsapp')).toMatchObject({
      status: 'sent',
      external_id: expect.stringMatching(/^whatsapp-/),
    });
    expect(recorded.find((s) => s.channel === 'internal')).toMatchObject({ status: 'pending' });
    // A redelivered record (same message_id) is deduplicated by the router: still one send.
    await publish(event);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(fake.textsTo(7001)).toEqual(['Your parcel is on its way 📦']);
  });

  it('fails a recipient without a mapping as no_mapping, not retried, and keeps the dead letter for replay', async () => {
    const event = accepted({ type: 'text', text: 'carol has no Telegram' }, ['carol'], ['telegram']);
    await publish(event);
    const statuses = new MongoStatusStore(mongo.db);
    await eventually(async () => (await statuses.forMessage(event.message_id)).find((s) => s.status === 'failed'), {
      what: 'failed status',
      timeoutMs: 30_000,
    });
    expect((await statuses.forMessage(event.message_id)).find((s) => s.status === 'failed')).toMatchObject({
      recipient: 'carol',
      channel: 'telegram',
      detail: expect.stringContaining('no_mapping'),
    });
    const [dl] = (await new MongoDeadLetterStore(mongo.db).list({ limit: 10, includeReplayed: false })).filter(
      (d) => d.message.message_id === event.message_id,
    );
    expect(dl).toMatchObject({ recipient: 'carol', reason: 'no_mapping', attempts: 0 });
    expect(fake.calls.filter((c) => c.method === 'sendMessage' && c.params.text === 'carol has no Telegram')).toHaveLength(0);
  });
});
