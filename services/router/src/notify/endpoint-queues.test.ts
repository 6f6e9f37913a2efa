import { describe, expect, it } from 'vitest';
import type { WebhookDeliveryRecord } from '@hub/webhooks';
import { EndpointQueues, type Held } from './endpoint-queues';

const T0 = 1_000_000;
let n = 0;

/** A pending delivery of `messageId`'s event of rank `rank` (order_seq as the intake computes it) to webhook `webhookId`, due at `dueAt`. */
function delivery(webhookId: string, messageId: string | undefined, rank = 2, dueAt = T0): WebhookDeliveryRecord {
  n++;
  return {
    delivery_id: `d${n}`,
    webhook_id: webhookId,
    owner: 'crm',
    event_id: `msg_${n}`,
    event_type: 'message.sent',
    body: '{}',
    ...(messageId !== undefined ? { message_id: messageId, order_seq: rank * 2 ** 40 + n } : {}),
    created_at: new Date(T0),
    max_attempts: 3,
    state: 'pending',
    attempt_count: 0,
    next_attempt_at: new Date(dueAt),
    lease_until: new Date(T0 + 60_000),
    updated_at: new Date(T0),
    attempts: [],
  };
}

const ids = (hs: Held[]) => hs.map((h) => h.d.delivery_id);
const queues = (maxInFlight = 64, maxInFlightPerEndpoint = 4, wake?: (at: number) => void) =>
  new EndpointQueues({ maxInFlight, maxInFlightPerEndpoint }, wake);

describe('EndpointQueues: order per webhook × message', () => {
  it('sends one event of a message to one endpoint at a time, lowest status first, whatever the arrival order', () => {
    const q = queues();
    const read = delivery('A', 'm1', 4);
    const sent = delivery('A', 'm1', 2);
    const delivered = delivery('A', 'm1', 3);
    q.add([read, sent, delivered]);
    const first = q.takeDue(T0).due;
    expect(ids(first)).toEqual([sent.delivery_id]);
    // Nothing else of m1 while its first call is in flight.
    expect(q.takeDue(T0).due).toEqual([]);
    q.settle(first[0]!, true);
    const second = q.takeDue(T0).due;
    expect(ids(second)).toEqual([delivered.delivery_id]);
    q.settle(second[0]!, true);
    expect(ids(q.takeDue(T0).due)).toEqual([read.delivery_id]);
  });

  it('holds the later events of a message back while its first waits for a retry, then sends them after it', () => {
    const q = queues();
    const sent = delivery('A', 'm1', 2);
    const delivered = delivery('A', 'm1', 3);
    q.add([sent, delivered]);
    const [h] = q.takeDue(T0).due;
    h!.dueAt = T0 + 5_000;
    q.settle(h!, false);
    const waiting = q.takeDue(T0 + 1_000);
    expect(waiting.due).toEqual([]);
    expect(waiting.nextAt).toBe(T0 + 5_000);
    expect(ids(q.takeDue(T0 + 5_000).due)).toEqual([sent.delivery_id]);
  });

  it('a later event that arrives while an earlier one is waiting goes behind it; other messages and other webhooks do not wait', () => {
    const q = queues();
    const sent = delivery('A', 'm1', 2);
    q.add([sent]);
    const [h] = q.takeDue(T0).due;
    const delivered = delivery('A', 'm1', 3);
    const otherMessage = delivery('A', 'm2', 2);
    const otherWebhook = delivery('B', 'm1', 3);
    q.add([delivered, otherMessage, otherWebhook]);
    expect(ids(q.takeDue(T0).due).sort()).toEqual([otherMessage.delivery_id, otherWebhook.delivery_id].sort());
    q.settle(h!, true);
    expect(ids(q.takeDue(T0).due)).toEqual([delivered.delivery_id]);
  });

  it('an event of a higher status arriving before the lower one was taken still goes after it', () => {
    const q = queues();
    const delivered = delivery('A', 'm1', 3, T0 + 10);
    q.add([delivered]);
    const sent = delivery('A', 'm1', 2, T0 + 10);
    q.add([sent]);
    expect(ids(q.takeDue(T0 + 10).due)).toEqual([sent.delivery_id]);
  });

  it('deliveries without a message (file events) are not ordered against each other', () => {
    const q = queues();
    const a = delivery('A', undefined);
    const b = delivery('A', undefined);
    q.add([a, b]);
    expect(ids(q.takeDue(T0).due)).toEqual([a.delivery_id, b.delivery_id]);
  });

  it('holds each delivery once, however often it is handed over', () => {
    const q = queues();
    const a = delivery('A', 'm1');
    q.add([a]);
    q.add([{ ...a }]);
    expect(q.size).toBe(1);
    expect(q.takeDue(T0).due).toHaveLength(1);
  });
});

describe('EndpointQueues: due times', () => {
  it('takes nothing before its time, reports the time and wakes the caller for it', () => {
    const woken: number[] = [];
    const q = queues(64, 4, (at) => woken.push(at));
    q.add([delivery('A', 'm1', 2, T0 + 3_000)]);
    expect(woken).toEqual([T0 + 3_000]);
    expect(q.takeDue(T0)).toEqual({ due: [], nextAt: T0 + 3_000 });
    expect(q.takeDue(T0 + 3_000).due).toHaveLength(1);
  });

  it('a manual re-send makes a waiting delivery due now', () => {
    const q = queues();
    const a = delivery('A', 'm1', 2, T0 + 60_000);
    q.add([a]);
    q.dueAt(q.get(a.delivery_id)!, T0);
    expect(ids(q.takeDue(T0).due)).toEqual([a.delivery_id]);
  });
});

describe('EndpointQueues: in-flight limits', () => {
  it('never has more than maxInFlightPerEndpoint calls to one endpoint', () => {
    const q = queues(64, 2);
    q.add(Array.from({ length: 5 }, (_, i) => delivery('A', `m${i}`)));
    const first = q.takeDue(T0).due;
    expect(first).toHaveLength(2);
    expect(q.takeDue(T0).due).toHaveLength(0);
    q.settle(first[0]!, true);
    expect(q.takeDue(T0).due).toHaveLength(1);
    expect(q.inFlight).toBe(2);
  });

  it('never has more than maxInFlight calls in all, shared out among the endpoints in turn', () => {
    const q = queues(3, 4);
    q.add(Array.from({ length: 5 }, (_, i) => delivery('A', `a${i}`)));
    q.add(Array.from({ length: 5 }, (_, i) => delivery('B', `b${i}`)));
    const due = q.takeDue(T0).due;
    expect(due).toHaveLength(3);
    expect(new Set(due.map((h) => h.d.webhook_id))).toEqual(new Set(['A', 'B']));
    expect(q.takeDue(T0).due).toHaveLength(0);
    q.settle(due[0]!, true);
    expect(q.takeDue(T0).due).toHaveLength(1);
  });

  it('a slow endpoint holding all its slots does not hold back another endpoint', () => {
    const q = queues(8, 2);
    q.add(Array.from({ length: 50 }, (_, i) => delivery('slow', `s${i}`)));
    const slow = q.takeDue(T0).due;
    expect(slow).toHaveLength(2);
    // The slow endpoint's calls never end; the fast one's deliveries arriving meanwhile go at once, every time.
    for (let round = 0; round < 10; round++) {
      q.add([delivery('fast', `f${round}`)]);
      const due = q.takeDue(T0 + round).due;
      expect(due.map((h) => h.d.webhook_id)).toEqual(['fast']);
      q.settle(due[0]!, true);
    }
    expect(q.size).toBe(50);
  });
});
