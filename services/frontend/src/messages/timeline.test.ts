import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '@hub/domain';
import type { StatusRecord } from '@hub/messages';
import type { LedgerEntry } from '@hub/outbound';
import type { WebhookDeliveryRecord } from '@hub/webhooks';
import { buildTimeline, parseTraceparent } from './timeline';

const T = 'a'.repeat(32);
const message: StoredMessage = {
  message_id: 'm1',
  conversation_id: 'c1',
  from: 'alice',
  to: ['bob', 'carol'],
  channels: ['internal', 'telegram'],
  payload: { type: 'text', text: 'hi' },
  source: 'api',
  accepted_at: '2026-12-07T10:00:00.000Z',
  stored_at: '2026-12-07T10:00:00.100Z',
  trace_id: T,
  submitted_by: 'client:shop',
  sequence_number: 1,
};
const status = (
  recipient: string,
  channel: 'internal' | 'telegram',
  s: StatusRecord['status'],
  at: string,
  span = 'b'.repeat(16),
): StatusRecord => ({
  id: `${recipient}|${channel}|${s}`,
  message_id: 'm1',
  conversation_id: 'c1',
  recipient,
  channel,
  status: s,
  at,
  trace_id: T,
  span_id: span,
});

describe('buildTimeline', () => {
  it('orders every hop by time, with durations per path and attempts from retries and the ledger', () => {
    const statuses = [
      status('carol', 'telegram', 'sent', '2026-12-07T10:00:01.500Z'),
      status('bob', 'internal', 'sent', '2026-12-07T10:00:00.200Z'),
      status('carol', 'telegram', 'retrying', '2026-12-07T10:00:00.200Z'),
      status('bob', 'internal', 'delivered', '2026-12-07T10:00:00.250Z'),
    ];
    const ledger = [
      {
        recipient: 'carol',
        channel: 'telegram',
        state: 'delivered',
        attempts: 3,
        first_attempt_at: new Date('2026-12-07T10:00:00.150Z'),
        updated_at: new Date('2026-12-07T10:00:01.450Z'),
      } as LedgerEntry,
    ];
    const webhook = {
      webhook_id: 'w1',
      event_type: 'message.sent',
      state: 'succeeded',
      created_at: new Date('2026-12-07T10:00:00.300Z'),
      traceparent: `00-${T}-${'c'.repeat(16)}-01`,
      attempts: [
        { attempt: 1, at: new Date('2026-12-07T10:00:00.300Z'), latency_ms: 5000, error: 'timeout' },
        { attempt: 2, at: new Date('2026-12-07T10:00:06.000Z'), latency_ms: 12, status_code: 200 },
      ],
    } as unknown as WebhookDeliveryRecord;
    const tl = buildTimeline(message, statuses, ledger, [webhook]);
    expect(tl).toMatchObject({ message_id: 'm1', conversation_id: 'c1', trace_id: T });
    expect(tl.hops.map((h) => [h.hop, h.outcome, h.recipient ?? h.webhook_id ?? '', h.attempt ?? null, h.duration_ms ?? null])).toEqual([
      ['accepted', 'accepted', '', null, null],
      ['stored', 'stored', '', null, 100],
      // Same instant: in the order the paths first appear in the status log.
      ['status', 'retrying', 'carol', 1, 100],
      ['status', 'sent', 'bob', null, 100],
      ['status', 'delivered', 'bob', null, 50],
      ['webhook', 'failed', 'w1', 1, 5000],
      ['outbound', 'delivered', 'carol', 3, 1300],
      ['status', 'sent', 'carol', 3, 1300],
      ['webhook', 'delivered', 'w1', 2, 12],
    ]);
    expect(tl.hops.find((h) => h.hop === 'webhook')).toMatchObject({ trace_id: T, span_id: 'c'.repeat(16) });
  });

  it('works without any trace (tracing off) and without later records', () => {
    const { trace_id: _t, ...untraced } = message;
    const tl = buildTimeline(
      untraced,
      [{ ...status('bob', 'internal', 'pending', '2026-12-07T10:00:00.200Z'), trace_id: undefined, span_id: undefined }],
      [],
      [],
    );
    expect(tl.trace_id).toBeUndefined();
    expect(tl.hops.map((h) => h.hop)).toEqual(['accepted', 'stored', 'status']);
    expect(tl.hops.every((h) => h.trace_id === undefined && h.span_id === undefined)).toBe(true);
  });

  it('reads trace and span ids only from a well-formed traceparent', () => {
    expect(parseTraceparent(`00-${T}-${'d'.repeat(16)}-01`)).toEqual({ traceId: T, spanId: 'd'.repeat(16) });
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });
});
