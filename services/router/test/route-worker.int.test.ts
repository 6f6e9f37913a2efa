import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, RECORD_POISON, Topics, type PoisonRecord } from '@hub/domain';
import { MongoRejectedRecords } from '@hub/messages/adapters';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { startPipelineKit, type PipelineKit } from './pipeline-kit';

let kit: PipelineKit;
let router: ServiceProcess;

beforeAll(async () => {
  kit = await startPipelineKit();
  router = await spawnService('router', kit.env);
});
afterAll(async () => {
  await router?.stop();
  await kit?.cleanup();
});

describe('route worker (spawned router, real stack)', () => {
  it('stores each message once, numbered 1..n in partition order, and records it pending', async () => {
    const c = await kit.createConversation(['alice', 'bob', 'carol']);
    const sent = [];
    for (let i = 0; i < 5; i++)
      sent.push(
        await kit.produceMessage({
          conversation_id: c.conversation_id,
          from: 'alice',
          to: ['bob', 'carol'],
          payload: { type: 'text', text: `m${i}` },
        }),
      );
    // A redelivery and a client re-send of the same message_id.
    await kit.produceMessage({ ...sent[1]! });
    await kit.produceMessage({ ...sent[3]!, accepted_at: new Date().toISOString() });
    const stored = await kit.waitStored(c.conversation_id, 5);
    await new Promise((r) => setTimeout(r, 1_000));
    const again = await kit.stored(c.conversation_id);
    expect(again).toHaveLength(5);
    expect(again.map((m) => [m.sequence_number, m.message_id])).toEqual(sent.map((m, i) => [i + 1, m.message_id]));
    expect(stored[0]).toMatchObject({ from: 'alice', to: ['bob', 'carol'], payload: { type: 'text', text: 'm0' }, source: 'api' });
    // The status writer appended one `pending` per recipient × channel.
    await eventually(async () => (await kit.db.collection('status_events').countDocuments({ conversation_id: c.conversation_id })) === 10, {
      what: '10 status events',
      timeoutMs: 20_000,
    });
    const events = await kit.db.collection('status_events').find({ message_id: sent[0]!.message_id }).toArray();
    expect(events.map((e) => [e.recipient, e.status]).sort()).toEqual([
      ['bob', 'pending'],
      ['carol', 'pending'],
    ]);
  });

  it('dead-letters poison and invalid records with the reason and keeps processing the partition', async () => {
    const c = await kit.createConversation(['alice', 'bob']);
    // All on one key, so all on one partition, in this order.
    await kit.produceRaw(Topics.messages, c.conversation_id, 'not json {');
    await kit.produceRaw(
      Topics.messages,
      c.conversation_id,
      JSON.stringify({
        type: 'message.accepted',
        version: 1,
        id: newId(),
        occurred_at: new Date().toISOString(),
        payload: { message_id: 'not-a-uuid', conversation_id: c.conversation_id },
      }),
    );
    const stranger = await kit.produceMessage({ conversation_id: c.conversation_id, from: 'mallory', to: ['bob'] });
    const unknown = newId();
    await kit.produceMessage({ conversation_id: unknown, from: 'alice', to: ['bob'] });
    const good = await kit.produceMessage({ conversation_id: c.conversation_id, from: 'alice', to: ['bob'] });

    const stored = await kit.waitStored(c.conversation_id, 1);
    expect(stored.map((m) => [m.message_id, m.sequence_number])).toEqual([[good.message_id, 1]]);

    const dlq = await kit.records(Topics.dlq, 4);
    const letters = dlq.filter((r) => r.envelope?.type === RECORD_POISON).map((r) => r.envelope!.payload as PoisonRecord);
    const forConv = letters.filter((l) => l.key === c.conversation_id);
    expect(forConv.map((l) => l.reason)).toEqual([
      expect.stringMatching(/not JSON/),
      expect.stringMatching(/invalid MessageEvent: message_id: must be a UUID/),
      expect.stringMatching(/not members of conversation .*: mallory/),
    ]);
    expect(forConv[0]).toMatchObject({ topic: Topics.messages, raw: 'not json {' });
    expect(forConv[2]!.message_id).toBe(stranger.message_id);
    expect(letters.find((l) => l.key === unknown)?.reason).toMatch(/does not exist/);
    // Kept for operators (GET /v1/dlq/records) as well, with the same reasons.
    const kept = (await new MongoRejectedRecords(kit.db).list({ limit: 50 })).records.filter(
      (r) => r.key === c.conversation_id || r.key === unknown,
    );
    expect(kept.map((r) => r.reason).sort()).toEqual(
      letters
        .filter((l) => l.key === c.conversation_id || l.key === unknown)
        .map((l) => l.reason)
        .sort(),
    );
    expect(kept.find((r) => r.message_id === stranger.message_id)).toMatchObject({
      topic: Topics.messages,
      id: expect.stringMatching(/^hub\.messages\.v1:\d+:\d+$/),
    });
    // Nothing of the refused ones was stored.
    expect(await kit.db.collection('messages').countDocuments({ _id: { $in: [stranger.message_id] } as never })).toBe(0);
  });

  it("dead-letters, visibly, a message whose id is already another sender's, rather than dropping it as a re-send", async () => {
    const bc = await kit.createConversation(['bob', 'carol']);
    const ac = await kit.createConversation(['alice', 'carol']);
    const group = await kit.createConversation(['alice', 'bob', 'carol']);
    // Across batches: bob's message is stored first; alice's under its id comes later (as after an expired accept-time claim).
    const bobs = await kit.produceMessage({ conversation_id: bc.conversation_id, from: 'bob', to: ['carol'] });
    await kit.waitStored(bc.conversation_id, 1);
    await kit.produceMessage({ message_id: bobs.message_id, conversation_id: ac.conversation_id, from: 'alice', to: ['carol'] });
    // Side by side on one partition (likely one batch): the second sender's record is refused, not counted as a duplicate.
    const first = await kit.produceMessage({ conversation_id: group.conversation_id, from: 'bob', to: ['alice', 'carol'] });
    await kit.produceMessage({ message_id: first.message_id, conversation_id: group.conversation_id, from: 'alice', to: ['bob', 'carol'] });
    const after = await kit.produceMessage({ conversation_id: group.conversation_id, from: 'alice', to: ['bob', 'carol'] });

    const stored = await kit.waitStored(group.conversation_id, 2);
    expect(stored.map((m) => [m.message_id, m.from])).toEqual([
      [first.message_id, 'bob'],
      [after.message_id, 'alice'],
    ]);
    const rejected = new MongoRejectedRecords(kit.db);
    const kept = await eventually(
      async () => {
        const mine = (await rejected.list({ limit: 200 })).records.filter(
          (r) => r.message_id === bobs.message_id || r.message_id === first.message_id,
        );
        return mine.length >= 2 ? mine : undefined;
      },
      { what: 'both refused records kept for operators', timeoutMs: 20_000 },
    );
    expect(kept.map((r) => [r.key, r.reason]).sort()).toEqual(
      [
        [ac.conversation_id, expect.stringMatching(/already used by a message of another sender or conversation.*from "alice"/)],
        [group.conversation_id, expect.stringMatching(/already used by a message of another sender or conversation.*from "alice"/)],
      ].sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)),
    );
    expect(await kit.stored(ac.conversation_id)).toEqual([]);
    expect((await kit.stored(bc.conversation_id)).map((m) => m.from)).toEqual(['bob']);
  });

  it('exposes the pipeline metrics', async () => {
    const text = await (await fetch(`${router.url}/metrics`)).text();
    expect(text).toMatch(/hub_messages_persisted_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/hub_messages_duplicates_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/hub_messages_dead_lettered_total\{[^}]*reason="unparseable"[^}]*\} 1/);
    expect(text).toMatch(/hub_message_accept_to_persist_seconds_count\{[^}]*\} [1-9]/);
    expect(text).toMatch(/hub_router_consumer_lag\{[^}]*topic="hub.messages.v1"/);
  });
});
