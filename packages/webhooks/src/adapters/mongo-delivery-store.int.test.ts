import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@hub/domain';
import { connectMongo, type MongoHandle } from '@hub/platform';
import { stackEnv } from '../../../../test/support/stack-env';
import type { NewDelivery } from '../deliveries';
import { MongoDeliveryStore } from './mongo-delivery-store';

describe('MongoDeliveryStore (real MongoDB API)', () => {
  let mongo: MongoHandle;
  let store: MongoDeliveryStore;

  beforeAll(async () => {
    mongo = await connectMongo({ url: stackEnv().MONGO_URL!, database: `t-${randomUUID()}` });
    store = new MongoDeliveryStore(mongo.db);
    await store.ensureIndexes();
  });
  afterAll(async () => {
    await mongo.db.dropDatabase().catch(() => {});
    await mongo.close();
  });

  const delivery = (webhookId: string, over: Partial<NewDelivery> = {}): NewDelivery => ({
    delivery_id: newId(),
    webhook_id: webhookId,
    owner: 'crm',
    event_id: `msg_${newId()}`,
    event_type: 'message.sent',
    body: '{"type":"message.sent"}',
    created_at: new Date(Date.now() - 1_000),
    max_attempts: 3,
    ...over,
  });

  it('enqueues each event once per webhook, however often it is repeated', async () => {
    const wh = newId();
    const a = delivery(wh);
    const b = delivery(wh);
    expect(await store.enqueue([a, b])).toBe(2);
    // A Kafka redelivery of the same events (new delivery ids, same event ids) plus one new event.
    const c = delivery(wh);
    expect(await store.enqueue([{ ...a, delivery_id: newId() }, c, { ...b, delivery_id: newId() }])).toBe(1);
    const listed = await store.list(wh, { limit: 10 });
    expect(listed.map((d) => d.delivery_id).sort()).toEqual([a, b, c].map((d) => d.delivery_id).sort());
  });

  it('hands a due delivery to one claimer only, and takes it back when the lease runs out', async () => {
    const wh = newId();
    const d = delivery(wh);
    await store.enqueue([d]);
    const now = new Date();
    expect(await store.webhooksWithDueWork(now)).toContain(wh);
    const due = await store.due(wh, now, 10);
    expect(due.map((x) => x.delivery_id)).toEqual([d.delivery_id]);
    const leaseUntil = new Date(now.getTime() + 60_000);
    const [first, second] = await Promise.all([store.claim(d.delivery_id, now, leaseUntil), store.claim(d.delivery_id, now, leaseUntil)]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await store.due(wh, new Date(), 10)).toEqual([]);
    expect(await store.webhooksWithDueWork(new Date())).not.toContain(wh);
    // After the lease (a crashed dispatcher), the delivery is due again.
    const later = new Date(leaseUntil.getTime() + 1);
    expect((await store.due(wh, later, 10)).map((x) => x.delivery_id)).toEqual([d.delivery_id]);
  });

  it('logs attempts and moves the delivery to its next state', async () => {
    const wh = newId();
    const d = delivery(wh);
    await store.enqueue([d]);
    const t0 = new Date();
    await store.claim(d.delivery_id, t0, new Date(t0.getTime() + 10_000));
    const retryAt = new Date(t0.getTime() + 5_000);
    await store.recordAttempt(d.delivery_id, { attempt: 1, at: t0, status_code: 503, latency_ms: 12, error: 'receiver answered 503', response_body: 'busy' }, { state: 'pending', next_attempt_at: retryAt }, t0);
    let got = (await store.get(wh, d.delivery_id))!;
    expect(got).toMatchObject({ state: 'pending', attempt_count: 1, last_status_code: 503, last_error: 'receiver answered 503' });
    expect(got.next_attempt_at.getTime()).toBe(retryAt.getTime());
    expect(await store.due(wh, t0, 10)).toEqual([]);

    const t1 = new Date(retryAt.getTime() + 1);
    await store.claim(d.delivery_id, t1, new Date(t1.getTime() + 10_000));
    await store.recordAttempt(d.delivery_id, { attempt: 2, at: t1, status_code: 204, latency_ms: 3 }, { state: 'succeeded' }, t1);
    got = (await store.get(wh, d.delivery_id))!;
    expect(got).toMatchObject({ state: 'succeeded', attempt_count: 2, last_status_code: 204 });
    expect(got.last_error).toBeUndefined();
    expect(got.completed_at).toBeInstanceOf(Date);
    expect(got.attempts.map((a) => [a.attempt, a.status_code, a.response_body])).toEqual([
      [1, 503, 'busy'],
      [2, 204, undefined],
    ]);
  });

  it('holds a later event of a message while an earlier one is pending', async () => {
    const wh = newId();
    const messageId = newId();
    const sent = delivery(wh, { message_id: messageId, order_seq: 10 });
    const read = delivery(wh, { message_id: messageId, order_seq: 12, event_type: 'message.read' });
    const other = delivery(wh, { message_id: newId(), order_seq: 11 });
    await store.enqueue([sent, other, read]);
    expect(await store.hasPendingPredecessor(sent)).toBe(false);
    expect(await store.hasPendingPredecessor(read)).toBe(true);
    expect(await store.hasPendingPredecessor(other)).toBe(false);
    const now = new Date();
    await store.claim(sent.delivery_id, now, new Date(now.getTime() + 1_000));
    await store.recordAttempt(sent.delivery_id, { attempt: 1, at: now, status_code: 200, latency_ms: 1 }, { state: 'succeeded' }, now);
    expect(await store.hasPendingPredecessor(read)).toBe(false);
  });

  it('re-sends a finished delivery exactly once more, and only moves a pending one forward', async () => {
    const wh = newId();
    const d = delivery(wh);
    await store.enqueue([d]);
    const now = new Date();
    await store.claim(d.delivery_id, now, new Date(now.getTime() + 1_000));
    await store.recordAttempt(d.delivery_id, { attempt: 1, at: now, latency_ms: 1, error: 'ECONNREFUSED' }, { state: 'failed' }, now);
    const requeued = (await store.requeue(wh, d.delivery_id, new Date()))!;
    expect(requeued).toMatchObject({ state: 'pending', attempt_count: 1, max_attempts: 2, manual_retry: true });
    expect(requeued.completed_at).toBeUndefined();
    expect(await store.requeue(wh, newId(), new Date())).toBeUndefined();
    expect(await store.requeue(newId(), d.delivery_id, new Date())).toBeUndefined();

    const pending = delivery(wh, { max_attempts: 8 });
    await store.enqueue([pending]);
    const moved = (await store.requeue(wh, pending.delivery_id, new Date()))!;
    expect(moved).toMatchObject({ state: 'pending', max_attempts: 8 });
  });

  it('fails what is pending for a webhook that is gone, and lists newest first by pages', async () => {
    const wh = newId();
    const ds = [delivery(wh), delivery(wh), delivery(wh)];
    for (const d of ds) await store.enqueue([d]);
    expect(await store.failPending(wh, 'webhook deleted', new Date())).toBe(3);
    const page1 = await store.list(wh, { limit: 2 });
    expect(page1.map((d) => d.delivery_id)).toEqual([ds[2]!.delivery_id, ds[1]!.delivery_id]);
    const page2 = await store.list(wh, { limit: 2, before: page1[1]!.delivery_id });
    expect(page2.map((d) => d.delivery_id)).toEqual([ds[0]!.delivery_id]);
    expect(page2[0]).toMatchObject({ state: 'failed', last_error: 'webhook deleted' });
    expect(await store.list(wh, { limit: 10, state: 'pending' })).toEqual([]);
  });

  it('purges finished deliveries past retention and keeps pending ones', async () => {
    const wh = newId();
    const old = new Date(Date.now() - 40 * 86_400_000);
    const done = delivery(wh, { created_at: old });
    const waiting = delivery(wh, { created_at: old });
    await store.enqueue([done, waiting]);
    await store.failPending(wh, 'x', new Date());
    await store.enqueue([{ ...waiting, delivery_id: newId(), event_id: `msg_${newId()}` }]);
    const before = await store.list(wh, { limit: 10 });
    expect(before).toHaveLength(3);
    expect(await store.purgeFinished(new Date(Date.now() - 30 * 86_400_000))).toBe(2);
    expect((await store.list(wh, { limit: 10 })).map((d) => d.state)).toEqual(['pending']);
  });
});
