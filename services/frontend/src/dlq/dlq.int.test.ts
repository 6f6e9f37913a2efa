import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryId, RETRY_RECORD, type DeadLetter } from '@hub/outbound';
import { MongoDeadLetterStore, MongoOutboundLedger } from '@hub/outbound/adapters';
import { newId, Topics, type StoredMessage } from '@hub/domain';
import { type RejectedRecord } from '@hub/messages';
import { MongoRejectedRecords } from '@hub/messages/adapters';
import { connectMongo, createKafka, createLogger, EventConsumer, type ConsumedRecord, type MongoHandle } from '@hub/platform';
import { adminToken, createApiClient, registerAndLogin, startTestFrontend } from '../../../../test/support/identity';
import { eventually } from '../../../../test/support/spawn-service';

// /v1/dlq on a spawned frontend (real MongoDB, Kafka, etcd, Redis); dead
// letters are written the way the router's retry machinery writes them.

type Json = Record<string, any>;
let t: Awaited<ReturnType<typeof startTestFrontend>>;
let admin: string;
let mongo: MongoHandle;
const letters: DeadLetter[] = [];

function stored(text: string): StoredMessage {
  return {
    message_id: newId(),
    conversation_id: randomUUID(),
    from: 'alice',
    to: ['bob'],
    channels: ['telegram'],
    payload: { type: 'text', text },
    source: 'api',
    accepted_at: new Date().toISOString(),
    submitted_by: 'user:alice',
    sequence_number: 1,
    stored_at: new Date().toISOString(),
  };
}

async function call(method: string, path: string, token?: string): Promise<{ status: number; body: Json; type: string | null }> {
  const res = await fetch(`${t.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, type: res.headers.get('content-type') };
}

beforeAll(async () => {
  t = await startTestFrontend();
  admin = await adminToken(t.url, t.env);
  mongo = await connectMongo({ url: t.env.MONGO_URL!, database: t.env.MONGO_DB! });
  const store = new MongoDeadLetterStore(mongo.db);
  const ledger = new MongoOutboundLedger(mongo.db);
  for (const [channel, reason] of [
    ['telegram', 'chat_not_found'],
    ['whatsapp', 'attempts_exhausted'],
  ] as const) {
    const message = stored(`to ${channel}`);
    await ledger.finish([
      {
        message,
        recipient: 'bob',
        channel,
        first_attempt_at: new Date(),
        state: 'failed',
        attempts: 1,
        reason,
        last_error: `${reason} from the provider`,
      },
    ]);
    letters.push(
      await store.add({
        id: newId(),
        delivery_id: deliveryId(message.message_id, 'bob', channel),
        message,
        recipient: 'bob',
        channel,
        attempts: 1,
        reason,
        last_error: `${reason} from the provider`,
        failed_at: new Date().toISOString(),
        generation: 0,
      }),
    );
  }
});
afterAll(async () => {
  await mongo?.close();
  await t?.stop();
});

describe('GET /v1/dlq', () => {
  it('lists dead letters newest first for an admin client, with pages and a channel filter', async () => {
    const all = await call('GET', '/v1/dlq', admin);
    expect(all.status).toBe(200);
    expect(all.body.dead_letters.map((d: Json) => d.id)).toEqual([letters[1]!.id, letters[0]!.id]);
    expect(all.body.dead_letters[1]).toMatchObject({
      channel: 'telegram',
      reason: 'chat_not_found',
      recipient: 'bob',
      attempts: 1,
      payload: { type: 'text', text: 'to telegram' },
      message_id: letters[0]!.message.message_id,
    });
    const page = await call('GET', '/v1/dlq?limit=1', admin);
    expect(page.body.dead_letters).toHaveLength(1);
    const next = await call('GET', `/v1/dlq?limit=1&before=${page.body.next_cursor}`, admin);
    expect(next.body.dead_letters.map((d: Json) => d.id)).toEqual([letters[0]!.id]);
    expect((await call('GET', '/v1/dlq?channel=whatsapp', admin)).body.dead_letters.map((d: Json) => d.id)).toEqual([letters[1]!.id]);
  });

  it('is for admin clients only', async () => {
    expect((await call('GET', '/v1/dlq')).status).toBe(401);
    const user = await registerAndLogin(t.url);
    const asUser = await call('GET', '/v1/dlq', user.accessToken);
    expect(asUser.status).toBe(403);
    expect(asUser.type).toContain('application/problem+json');
    const client = await createApiClient(t.url, admin, ['messages:send', 'messages:read']);
    expect((await call('GET', '/v1/dlq', client.accessToken)).status).toBe(403);
    expect((await call('POST', `/v1/dlq/${letters[0]!.id}/replay`, client.accessToken)).status).toBe(403);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['channel=fax', 'channel'],
    ['before=not-a-uuid', 'before'],
    ['include_replayed=maybe', 'include_replayed'],
    ['colour=red', 'colour'],
  ])('answers 400 naming the parameter for %s', async (query, field) => {
    const res = await call('GET', `/v1/dlq?${query}`, admin);
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.errors.map((e: Json) => e.field)).toContain(field);
  });
});

describe('GET /v1/dlq/records', () => {
  it('lists the records the router refused, newest first, with pages and a topic filter, for admin clients only', async () => {
    const rejected = new MongoRejectedRecords(mongo.db);
    const base = Date.now();
    const records: RejectedRecord[] = [
      {
        id: `${Topics.messages}:0:7`,
        topic: Topics.messages,
        partition: 0,
        offset: '7',
        key: 'c1',
        reason: 'record value is not JSON',
        raw: 'not json {',
        failed_at: new Date(base - 3_000).toISOString(),
      },
      {
        id: `${Topics.status}:1:3`,
        topic: Topics.status,
        partition: 1,
        offset: '3',
        key: null,
        reason: 'invalid StatusEvent: status: invalid',
        raw: '{}',
        failed_at: new Date(base - 2_000).toISOString(),
      },
      {
        id: `${Topics.messages}:2:9`,
        topic: Topics.messages,
        partition: 2,
        offset: '9',
        key: 'c2',
        reason: 'conversation c2 does not exist',
        raw: '{"type":"message.accepted"}',
        message_id: newId(),
        failed_at: new Date(base - 1_000).toISOString(),
      },
    ];
    await rejected.add(records);
    await rejected.add(records.slice(0, 1)); // a redelivered batch keeps each record once

    const all = await call('GET', '/v1/dlq/records', admin);
    expect(all.status).toBe(200);
    expect(all.body.records.map((r: Json) => r.id)).toEqual([records[2]!.id, records[1]!.id, records[0]!.id]);
    expect(all.body.records[0]).toEqual({ ...records[2] });
    expect(all.body.next_cursor).toBeUndefined();

    const first = await call('GET', '/v1/dlq/records?limit=2', admin);
    expect(first.body.records.map((r: Json) => r.id)).toEqual([records[2]!.id, records[1]!.id]);
    const second = await call('GET', `/v1/dlq/records?limit=2&after=${first.body.next_cursor}`, admin);
    expect(second.body.records.map((r: Json) => r.id)).toEqual([records[0]!.id]);

    const statusOnly = await call('GET', `/v1/dlq/records?topic=${Topics.status}`, admin);
    expect(statusOnly.body.records.map((r: Json) => r.id)).toEqual([records[1]!.id]);

    const user = await registerAndLogin(t.url);
    expect((await call('GET', '/v1/dlq/records', user.accessToken)).status).toBe(403);
    expect((await call('GET', '/v1/dlq/records')).status).toBe(401);
  });

  it.each([
    ['after=garbage', 'after'],
    ['topic=hub.retry.v1', 'topic'],
    ['limit=500', 'limit'],
  ])('answers 400 naming the parameter for %s', async (query, field) => {
    const res = await call('GET', `/v1/dlq/records?${query}`, admin);
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.errors.map((e: Json) => e.field)).toContain(field);
  });
});

describe('POST /v1/dlq/{id}/replay', () => {
  it('re-drives a dead letter once, however often it is asked', async () => {
    const dl = letters[0]!;
    const first = await call('POST', `/v1/dlq/${dl.id}/replay`, admin);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ replay: 'started', dead_letter: { id: dl.id, replayed_by: `client:${t.admin.clientId}` } });
    const again = await call('POST', `/v1/dlq/${dl.id}/replay`, admin);
    expect(again.status).toBe(202);
    expect(again.body.replay).toBe('already_requested');

    const ledger = new MongoOutboundLedger(mongo.db);
    expect(await ledger.get(dl.delivery_id)).toMatchObject({ state: 'scheduled', attempts: 0, next_attempt: 1, generation: 1 });
    // One retry record on the (prefixed) hub.retry.v1, for the router's retry worker.
    const kafka = createKafka({
      brokers: t.env.KAFKA_BROKERS!.split(','),
      clientId: 't-dlq',
      logger: createLogger({ service: 'test', level: 'silent' }),
      namePrefix: t.env.KAFKA_NAME_PREFIX!,
    });
    const seen: ConsumedRecord[] = [];
    const consumer = new EventConsumer(
      kafka,
      { groupId: `t-${randomUUID()}`, topics: [Topics.retry] },
      createLogger({ service: 'test', level: 'silent' }),
    );
    await consumer.start(async (records) => {
      seen.push(...records);
    });
    await eventually(() => seen.length >= 1, { what: 'retry record', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    await consumer.stop();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.envelope).toMatchObject({ type: RETRY_RECORD, payload: { delivery_id: dl.delivery_id, attempt: 1, reason: 'replay' } });

    const listed = await call('GET', '/v1/dlq', admin);
    expect(listed.body.dead_letters.map((d: Json) => d.id)).not.toContain(dl.id);
    const withReplayed = await call('GET', '/v1/dlq?include_replayed=true', admin);
    expect(withReplayed.body.dead_letters.find((d: Json) => d.id === dl.id)).toMatchObject({ replayed_at: expect.any(String) });
  });

  it('answers 404 for an unknown dead letter and 400 for an id that is not a UUID', async () => {
    const unknown = await call('POST', `/v1/dlq/${randomUUID()}/replay`, admin);
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain('application/problem+json');
    const bad = await call('POST', '/v1/dlq/42/replay', admin);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('id');
  });
});
