import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@hub/domain';
import { connectMongo, type MongoHandle } from '@hub/platform';
import { stackEnv } from '../../../../test/support/stack-env';
import type { NewWebhookDelivery } from '../webhook-deliveries';
import { MongoWebhookDeliveryStore } from './mongo-webhook-delivery-store';

describe('MongoWebhookDeliveryStore (real MongoDB API)', () => {
  let mongo: MongoHandle;
  let store: MongoWebhookDeliveryStore;

  beforeAll(async () => {
    mongo = await connectMongo({ url: stackEnv().MONGO_URL!, database: `t-${randomUUID()}` });
    store = new MongoWebhookDeliveryStore(mongo.db);
    await store.ensureIndexes();
  });
  afterAll(async () => {
    await mongo.db.dropDatabase().catch(() => {});
    await mongo.close();
  });

  const delivery = (webhookId: string, over: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
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
  const soon = () => new Date(Date.now() + 60_000);
  const none = new Date(0);

  it('enqueues each event once per webhook, however often it is repeated, and says which were new', async () => {
    const wh = newId();
    const a = delivery(wh);
    const b = delivery(wh);
    expect([...(await store.enqueue([a, b], soon(), 'me')).inserted].sort()).toEqual([a.delivery_id, b.delivery_id].sort());
    // A Kafka redelivery of the same events (new delivery ids, same event ids) plus one new event.
    const c = delivery(wh);
    const again = await store.enqueue([{ ...a, delivery_id: newId() }, c, { ...b, delivery_id: newId() }], soon(), 'me');
    expect([...again.inserted]).toEqual([c.delivery_id]);
    // The pending copies of the repeats, leased to the same owner, come back to be taken up again…
    expect(again.ownedAlready.map((d) => d.delivery_id).sort()).toEqual([a.delivery_id, b.delivery_id].sort());
    // …but not to another dispatcher, which must leave them to their holder.
    const other = await store.enqueue([{ ...a, delivery_id: newId() }], soon(), 'someone-else');
    expect(other).toEqual({ inserted: new Set(), ownedAlready: [] });
    const listed = await store.list(wh, { limit: 10 });
    expect(listed.map((d) => d.delivery_id).sort()).toEqual([a, b, c].map((d) => d.delivery_id).sort());
  });

  it('leases: a held delivery cannot be claimed, a released or expired one can, by one claimer only', async () => {
    const wh = newId();
    const held = delivery(wh);
    const unheld = delivery(wh);
    await store.enqueue([held], soon(), 'me');
    await store.enqueue([unheld], none, 'me');
    const now = new Date();
    expect(await store.claim(held.delivery_id, now, soon(), 'me')).toBeUndefined();
    const recoverable = (await store.recoverable(now, 1_000)).map((d) => d.delivery_id);
    expect(recoverable).toContain(unheld.delivery_id);
    expect(recoverable).not.toContain(held.delivery_id);
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim(unheld.delivery_id, now, soon(), 'me')));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await store.recoverable(new Date(), 1_000)).map((d) => d.delivery_id)).not.toContain(unheld.delivery_id);

    await store.release([held.delivery_id]);
    expect(await store.claim(held.delivery_id, new Date(), soon(), 'me')).toMatchObject({
      delivery_id: held.delivery_id,
      state: 'pending',
    });
    // A lease that ran out (its dispatcher died) is claimable again.
    expect(await store.claim(held.delivery_id, new Date(Date.now() + 120_000), soon(), 'me')).toBeDefined();
  });

  it('renews leases of pending deliveries only', async () => {
    const wh = newId();
    const d = delivery(wh);
    await store.enqueue([d], new Date(Date.now() + 1_000), 'me');
    await store.renew([d.delivery_id], new Date(Date.now() + 600_000));
    expect(await store.claim(d.delivery_id, new Date(Date.now() + 5_000), soon(), 'me')).toBeUndefined();
  });

  const finishAs = async (
    d: NewWebhookDelivery,
    state: 'succeeded' | 'failed',
    attempts: Array<{ status_code?: number; error?: string }> = [],
  ) => {
    const now = new Date();
    await store.finish([
      {
        ...d,
        state,
        attempt_count: attempts.length,
        next_attempt_at: d.created_at,
        lease_until: none,
        updated_at: now,
        completed_at: now,
        attempts: attempts.map((a, i) => ({ attempt: i + 1, at: now, latency_ms: 1, ...a })),
        ...(attempts.at(-1)?.error ? { last_error: attempts.at(-1)!.error } : {}),
      },
    ]);
    await store.dequeue([{ delivery_id: d.delivery_id, finished_at: new Date() }]);
  };

  it('logs retries on the queue and moves a finished delivery to the log', async () => {
    const wh = newId();
    const d = delivery(wh);
    await store.enqueue([d], soon(), 'me');
    const t0 = new Date();
    const retryAt = new Date(t0.getTime() + 5_000);
    await store.recordRetry(
      d.delivery_id,
      { attempt: 1, at: t0, status_code: 503, latency_ms: 12, error: 'receiver answered 503', response_body: 'busy' },
      retryAt,
      new Date(retryAt.getTime() + 60_000),
      t0,
    );
    const waiting = (await store.get(wh, d.delivery_id))!;
    expect(waiting).toMatchObject({ state: 'pending', attempt_count: 1, last_status_code: 503, last_error: 'receiver answered 503' });
    expect(waiting.next_attempt_at.getTime()).toBe(retryAt.getTime());
    // Still leased while it waits for its retry: nobody else takes it.
    expect(await store.claim(d.delivery_id, new Date(retryAt.getTime() + 1), soon(), 'me')).toBeUndefined();

    await store.finish([
      {
        ...waiting,
        state: 'succeeded',
        attempt_count: 2,
        attempts: [...waiting.attempts, { attempt: 2, at: new Date(), status_code: 204, latency_ms: 3 }],
        last_status_code: 204,
        last_error: undefined,
        completed_at: new Date(),
      },
    ]);
    await store.dequeue([{ delivery_id: d.delivery_id, finished_at: new Date() }]);
    const done = (await store.get(wh, d.delivery_id))!;
    expect(done).toMatchObject({ state: 'succeeded', attempt_count: 2, last_status_code: 204 });
    expect(done.last_error).toBeUndefined();
    expect(done.attempts.map((a) => [a.attempt, a.status_code, a.response_body])).toEqual([
      [1, 503, 'busy'],
      [2, 204, undefined],
    ]);
    expect(await store.pending(d.delivery_id)).toBeUndefined();
    expect(await store.get(newId(), d.delivery_id)).toBeUndefined();
  });

  it('does not hand out a delivery that was finished but not yet taken off the queue (its dispatcher died)', async () => {
    const wh = newId();
    const d = delivery(wh);
    await store.enqueue([d], none, 'me');
    await store.finish([
      {
        ...d,
        state: 'succeeded',
        attempt_count: 1,
        next_attempt_at: d.created_at,
        lease_until: none,
        updated_at: new Date(),
        completed_at: new Date(),
        attempts: [{ attempt: 1, at: new Date(), latency_ms: 1, status_code: 200 }],
      },
    ]);
    expect(await store.claim(d.delivery_id, new Date(), soon(), 'me')).toBeUndefined();
    expect(await store.pending(d.delivery_id)).toBeUndefined();
    expect((await store.get(wh, d.delivery_id))!.state).toBe('succeeded');
  });

  it('keeps a re-send that was queued before the finished copy was taken off the queue', async () => {
    const wh = newId();
    const d = delivery(wh);
    await store.enqueue([d], none, 'me');
    const finishedAt = new Date();
    await store.finish([
      {
        ...d,
        state: 'failed',
        attempt_count: 1,
        next_attempt_at: d.created_at,
        lease_until: none,
        updated_at: finishedAt,
        completed_at: finishedAt,
        attempts: [{ attempt: 1, at: finishedAt, latency_ms: 1, error: 'x' }],
      },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    // The API re-sends it while the stale queue copy is still there…
    expect(await store.requeue(wh, d.delivery_id, new Date())).toMatchObject({ state: 'pending', max_attempts: 2 });
    // …and the dispatcher's batched removal of the finished copy comes after.
    await store.dequeue([{ delivery_id: d.delivery_id, finished_at: finishedAt }]);
    expect(await store.pending(d.delivery_id)).toMatchObject({ manual_retry: true, attempt_count: 1 });
    expect(await store.claim(d.delivery_id, new Date(), soon(), 'me')).toBeDefined();
  });

  it('announces test events and re-sends as requests; a re-sent finished delivery gets exactly one more attempt', async () => {
    const wh = newId();
    const ping = delivery(wh, { event_type: 'webhook.ping', max_attempts: 1 });
    await store.submit(ping);
    expect((await store.requests(100)).map((r) => r.delivery_id)).toContain(ping.delivery_id);
    expect(await store.claim(ping.delivery_id, new Date(), soon(), 'me')).toBeDefined();
    await store.clearRequest(ping.delivery_id);
    expect((await store.requests(100)).map((r) => r.delivery_id)).not.toContain(ping.delivery_id);

    await finishAs(ping, 'failed', [{ error: 'ECONNREFUSED' }]);
    const requeued = (await store.requeue(wh, ping.delivery_id, new Date()))!;
    expect(requeued).toMatchObject({ state: 'pending', attempt_count: 1, max_attempts: 2, manual_retry: true });
    expect(requeued.completed_at).toBeUndefined();
    expect(await store.get(wh, ping.delivery_id)).toMatchObject({ state: 'pending', attempts: [{ attempt: 1, error: 'ECONNREFUSED' }] });
    expect((await store.requests(100)).map((r) => r.delivery_id)).toContain(ping.delivery_id);
    expect(await store.claim(ping.delivery_id, new Date(), soon(), 'me')).toBeDefined();
    expect(await store.requeue(wh, newId(), new Date())).toBeUndefined();
    expect(await store.requeue(newId(), ping.delivery_id, new Date())).toBeUndefined();

    const pending = delivery(wh, { max_attempts: 8 });
    await store.enqueue([pending], soon(), 'me');
    expect(await store.requeue(wh, pending.delivery_id, new Date())).toMatchObject({
      state: 'pending',
      max_attempts: 8,
      manual_retry: true,
    });
  });

  it('lists newest first by pages and filters by state', async () => {
    const wh = newId();
    const ds = [delivery(wh), delivery(wh), delivery(wh)];
    for (const d of ds) await store.enqueue([d], soon(), 'me');
    await finishAs(ds[0]!, 'failed', [{ error: 'x' }]);
    const page1 = await store.list(wh, { limit: 2 });
    expect(page1.map((d) => d.delivery_id)).toEqual([ds[2]!.delivery_id, ds[1]!.delivery_id]);
    const page2 = await store.list(wh, { limit: 2, before: page1[1]!.delivery_id });
    expect(page2.map((d) => d.delivery_id)).toEqual([ds[0]!.delivery_id]);
    expect((await store.list(wh, { limit: 10, state: 'failed' })).map((d) => d.delivery_id)).toEqual([ds[0]!.delivery_id]);
  });

  it('purges finished deliveries past retention and keeps pending ones', async () => {
    const wh = newId();
    const old = new Date(Date.now() - 40 * 86_400_000);
    const done = delivery(wh, { created_at: old });
    const waiting = delivery(wh, { created_at: old });
    await store.enqueue([done, waiting], soon(), 'me');
    await finishAs(done, 'failed', [{ error: 'x' }]);
    expect(await store.purgeFinished(new Date(Date.now() - 30 * 86_400_000))).toBeGreaterThanOrEqual(1);
    expect((await store.list(wh, { limit: 10 })).map((d) => d.delivery_id)).toEqual([waiting.delivery_id]);
  });
});
