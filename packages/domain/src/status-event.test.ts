import { describe, expect, it } from 'vitest';
import { nameBasedId } from './ids';
import { StatusEventSchema } from './status';
import { statusEvent, statusEventId, statusRecord, type StatusSubject } from './status-event';

const m: StatusSubject = { message_id: 'm1', conversation_id: 'c1', sequence_number: 7, from: 'alice', submitted_by: 'user:alice' };
const at = new Date('2026-12-07T10:00:00.000Z');

describe('status event builders (hub.status.v1)', () => {
  it('copies the message fields and the change, and passes the schema consumers check', () => {
    const e = statusEvent(m, { recipient: 'bob', channel: 'internal', status: 'delivered', at });
    expect(e).toEqual({
      message_id: 'm1',
      conversation_id: 'c1',
      recipient: 'bob',
      channel: 'internal',
      status: 'delivered',
      sequence_number: 7,
      from: 'alice',
      submitted_by: 'user:alice',
      occurred_at: '2026-12-07T10:00:00.000Z',
    });
    expect(StatusEventSchema.safeParse(e).success).toBe(true);
  });

  it('leaves empty detail and external id out, and keeps them when given', () => {
    expect(
      statusEvent(m, { recipient: 'bob', channel: 'telegram', status: 'sent', at, detail: '', externalId: undefined }),
    ).not.toHaveProperty('detail');
    expect(
      statusEvent(m, { recipient: 'bob', channel: 'telegram', status: 'sent', at, detail: '', externalId: undefined }),
    ).not.toHaveProperty('external_id');
    const e = statusEvent(m, { recipient: 'bob', channel: 'telegram', status: 'sent', at, detail: 'ok', externalId: '42' });
    expect(e).toMatchObject({ detail: 'ok', external_id: '42' });
    expect(e).not.toHaveProperty('reopened');
    expect(statusEvent(m, { recipient: 'bob', channel: 'telegram', status: 'retrying', at, reopened: true }).reopened).toBe(true);
  });

  it('derives the same envelope id for the same change as before the builder existed', () => {
    const ns = '3b5f6c1e-2a4d-5e8f-9b7c-0d1e2f3a4b5c';
    const e = statusEvent(m, { recipient: 'bob', channel: 'internal', status: 'sent', at });
    expect(statusEventId(ns, e)).toBe(nameBasedId(ns, 'm1|bob|internal|sent'));
    expect(statusEventId(ns, { ...e, status: 'delivered' })).not.toBe(statusEventId(ns, e));
  });

  it('keys the record by conversation on hub.status.v1, with the given or a fresh envelope id', () => {
    const e = statusEvent(m, { recipient: 'bob', channel: 'internal', status: 'read', at });
    const fixed = statusRecord(e, 'replay:1');
    expect(fixed).toMatchObject({ topic: 'hub.status.v1', key: 'c1', envelope: { type: 'message.status', id: 'replay:1', payload: e } });
    const a = statusRecord(e);
    const b = statusRecord(e);
    expect(a.envelope.id).not.toBe(b.envelope.id);
  });
});
