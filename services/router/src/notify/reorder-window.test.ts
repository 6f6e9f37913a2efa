import { describe, expect, it } from 'vitest';
import type { Status } from '@hub/domain';
import type { WebhookDeliveryRecord } from '@hub/webhooks';
import { EndpointQueues } from './endpoint-queues';
import { ReorderHolds, ReorderWindow, waitingStatusOf } from './reorder-window';

const T0 = 5_000_000;
let n = 0;
const RANK: Record<string, number> = { pending: 1, sent: 2, delivered: 3, read: 4 };

/** A webhook delivery of one status event of message m1 to bob on internal, as the intake makes it. */
function delivery(status: Status, webhookId = 'A', createdAt = T0, recipient = 'bob'): WebhookDeliveryRecord {
  n++;
  const data = {
    message_id: 'm1',
    conversation_id: 'c1',
    recipient,
    channel: 'internal',
    status,
    occurred_at: new Date(createdAt).toISOString(),
    from: 'alice',
  };
  return {
    delivery_id: `d${n}`,
    webhook_id: webhookId,
    owner: 'crm',
    event_id: `msg_${n}`,
    event_type: `message.${status}`,
    body: JSON.stringify({ type: `message.${status}`, timestamp: data.occurred_at, data }),
    message_id: 'm1',
    order_seq: RANK[status]! * 2 ** 40 + n,
    created_at: new Date(createdAt),
    max_attempts: 3,
    state: 'pending',
    attempt_count: 0,
    next_attempt_at: new Date(createdAt),
    lease_until: new Date(createdAt + 60_000),
    updated_at: new Date(createdAt),
    attempts: [],
  };
}

const event = (status: Status, recipient = 'bob') => ({ message_id: 'm1', recipient, channel: 'internal', status });

describe('ReorderWindow', () => {
  it('holds delivered until a routing outcome (sent or pending) of the same recipient × channel was seen', () => {
    const w = new ReorderWindow(2_000);
    expect(w.holdUntil(event('delivered'), T0, T0)).toBe(T0 + 2_000);
    w.saw(event('sent', 'carol'));
    expect(w.holdUntil(event('delivered'), T0, T0)).toBe(T0 + 2_000);
    w.saw(event('pending'));
    expect(w.holdUntil(event('delivered'), T0, T0)).toBe(0);
  });

  it('holds read until both the routing outcome and delivered were seen', () => {
    const w = new ReorderWindow(2_000);
    w.saw(event('delivered'));
    expect(w.holdUntil(event('read'), T0, T0)).toBe(T0 + 2_000);
    w.saw(event('sent'));
    expect(w.holdUntil(event('read'), T0, T0)).toBe(0);
  });

  it('never holds statuses that imply nothing before them, nor anything once the window has passed, nor when set to 0', () => {
    const w = new ReorderWindow(2_000);
    for (const s of ['pending', 'retrying', 'sent', 'failed'] as const) expect(w.holdUntil(event(s), T0, T0)).toBe(0);
    // Recovered from the store long after it was made: the window is over.
    expect(w.holdUntil(event('delivered'), T0, T0 + 2_000)).toBe(0);
    expect(new ReorderWindow(0).holdUntil(event('delivered'), T0, T0)).toBe(0);
  });

  it('reads the waiting status from a delivery’s payload, only for delivered and read', () => {
    expect(waitingStatusOf(delivery('read'))).toEqual(event('read'));
    expect(waitingStatusOf(delivery('sent'))).toBeUndefined();
    expect(waitingStatusOf({ ...delivery('read'), body: 'not json' })).toBeUndefined();
  });
});

describe('reorder window in the endpoint queues', () => {
  /** As the intake and dispatcher do it: every status of a batch seen, its deliveries held, then the waiting ones released. */
  function setup(windowMs = 2_000) {
    const holds = new ReorderHolds(new ReorderWindow(windowMs));
    const q = new EndpointQueues({ maxInFlight: 64, maxInFlightPerEndpoint: 4 });
    const intake = (statuses: Status[], records: WebhookDeliveryRecord[] = [], now = T0) => {
      for (const s of statuses) holds.saw(event(s));
      holds.track(q.add(records, (d) => holds.holdUntil(d, now)));
      for (const h of holds.releasable(now)) q.release(h);
    };
    return { holds, q, intake };
  }
  const types = (hs: Array<{ d: WebhookDeliveryRecord }>) => hs.map((h) => h.d.event_type);

  it('a delivered that reached the topic before its sent goes out after it', () => {
    const { q, intake } = setup();
    intake(['delivered'], [delivery('delivered')]);
    expect(q.takeDue(T0).due).toEqual([]);
    // sent arrives 300 ms later: it goes first, delivered right after it.
    intake(['sent'], [delivery('sent', 'A', T0 + 300)], T0 + 300);
    const first = q.takeDue(T0 + 300).due;
    expect(types(first)).toEqual(['message.sent']);
    q.settle(first[0]!, true);
    expect(types(q.takeDue(T0 + 310).due)).toEqual(['message.delivered']);
  });

  it('a delivered and its sent in one batch, delivered first: sent goes first, delivered does not wait for the window', () => {
    const { q, intake } = setup();
    intake(['delivered', 'sent'], [delivery('delivered'), delivery('sent')]);
    const first = q.takeDue(T0).due;
    expect(types(first)).toEqual(['message.sent']);
    q.settle(first[0]!, true);
    expect(types(q.takeDue(T0).due)).toEqual(['message.delivered']);
  });

  it('a webhook that does not subscribe to sent still waits for it on the topic, then gets delivered at once', () => {
    const { q, intake, holds } = setup();
    intake(['delivered'], [delivery('delivered')]);
    expect(holds.size).toBe(1);
    intake(['sent'], [], T0 + 50);
    expect(holds.size).toBe(0);
    expect(types(q.takeDue(T0 + 50).due)).toEqual(['message.delivered']);
  });

  it('sends anyway when the earlier status never comes, once the window is over', () => {
    const { q, intake } = setup(2_000);
    intake(['delivered'], [delivery('delivered')]);
    expect(q.takeDue(T0 + 1_999)).toEqual({ due: [], nextAt: T0 + 2_000 });
    expect(types(q.takeDue(T0 + 2_000).due)).toEqual(['message.delivered']);
  });

  it('does not wait when the earlier statuses were seen first, or when the window is 0', () => {
    const inOrder = setup();
    inOrder.intake(['sent', 'delivered'], [delivery('delivered')]);
    expect(types(inOrder.q.takeDue(T0).due)).toEqual(['message.delivered']);
    const off = setup(0);
    off.intake(['delivered'], [delivery('delivered')]);
    expect(types(off.q.takeDue(T0).due)).toEqual(['message.delivered']);
  });

  it('a waiting delivered holds back the read of the same message behind it, and other messages not at all', () => {
    const { q, intake } = setup();
    const other = { ...delivery('sent'), message_id: 'm2' };
    intake(['delivered', 'read'], [delivery('delivered'), delivery('read'), other]);
    expect(q.takeDue(T0).due.map((h) => h.d.delivery_id)).toEqual([other.delivery_id]);
    intake(['sent'], [], T0 + 100);
    const next = q.takeDue(T0 + 100).due;
    expect(types(next)).toEqual(['message.delivered']);
    q.settle(next[0]!, true);
    expect(types(q.takeDue(T0 + 100).due)).toEqual(['message.read']);
  });
});
