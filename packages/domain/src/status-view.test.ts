import { describe, expect, it } from 'vitest';
import { buildStatusView, type RecordedStatus } from './status-view';

const message = {
  message_id: 'm1',
  conversation_id: 'c1',
  sequence_number: 7,
  to: ['bob', 'carol'],
  channels: ['internal' as const],
  accepted_at: '2026-01-01T00:00:00.000Z',
};
const at = (s: number) => new Date(Date.parse(message.accepted_at) + s * 1000).toISOString();

describe('buildStatusView', () => {
  it('starts every recipient × channel accepted', () => {
    const v = buildStatusView(message, []);
    expect(v.status).toBe('accepted');
    expect(v.recipients.map((r) => [r.recipient, r.status])).toEqual([
      ['bob', 'accepted'],
      ['carol', 'accepted'],
    ]);
    expect(v.status_history).toHaveLength(2);
    expect(v.sequence_number).toBe(7);
  });

  it('applies changes in time order, forward only, and lists only those that took effect', () => {
    const recorded: RecordedStatus[] = [
      { recipient: 'bob', channel: 'internal', status: 'read', at: at(3) },
      { recipient: 'bob', channel: 'internal', status: 'pending', at: at(1), detail: 'offline' },
      { recipient: 'bob', channel: 'internal', status: 'delivered', at: at(2) },
      // Late and repeated: must not move bob back.
      { recipient: 'bob', channel: 'internal', status: 'sent', at: at(4) },
      { recipient: 'bob', channel: 'internal', status: 'pending', at: at(1), detail: 'offline' },
      { recipient: 'carol', channel: 'internal', status: 'sent', at: at(1), external_id: 'x1' },
      // Not a recipient of this message.
      { recipient: 'mallory', channel: 'internal', status: 'read', at: at(1) },
    ];
    const v = buildStatusView(message, recorded);
    const bob = v.recipients.find((r) => r.recipient === 'bob')!;
    expect(bob).toMatchObject({ status: 'read', updated_at: at(3) });
    expect(v.recipients.find((r) => r.recipient === 'carol')).toMatchObject({ status: 'sent', external_id: 'x1' });
    expect(v.status).toBe('sent');
    expect(v.status_history.filter((h) => h.recipient === 'bob').map((h) => h.status)).toEqual([
      'accepted',
      'pending',
      'delivered',
      'read',
    ]);
    expect(v.status_history.some((h) => h.recipient === 'mallory')).toBe(false);
  });

  it('rolls up to failed only when every recipient failed', () => {
    const v = buildStatusView(message, [
      { recipient: 'bob', channel: 'internal', status: 'failed', at: at(1), detail: 'no_mapping' },
      { recipient: 'carol', channel: 'internal', status: 'failed', at: at(1) },
    ]);
    expect(v.status).toBe('failed');
    expect(v.recipients[0]).toMatchObject({ status: 'failed', detail: 'no_mapping' });
  });

  it('follows a replayed delivery out of failed to its end, and ignores a retrying that is not a replay', () => {
    const v = buildStatusView({ ...message, to: ['bob'], channels: ['telegram' as const] }, [
      { recipient: 'bob', channel: 'telegram', status: 'failed', at: at(1), detail: 'no_mapping' },
      { recipient: 'bob', channel: 'telegram', status: 'retrying', at: at(2) },
      { recipient: 'bob', channel: 'telegram', status: 'retrying', at: at(3), detail: 'replayed by client:ops', reopened: true },
      { recipient: 'bob', channel: 'telegram', status: 'sent', at: at(4), external_id: '42' },
    ]);
    expect(v.status).toBe('sent');
    expect(v.status_history.map((h) => h.status)).toEqual(['accepted', 'failed', 'retrying', 'sent']);
    expect(v.recipients[0]).toMatchObject({ status: 'sent', external_id: '42' });
  });
});
