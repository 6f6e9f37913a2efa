import { describe, expect, it } from 'vitest';
import { canTransition, type Status, type StatusEvent, type StoredMessage } from '@hub/domain';
import type { Membership, Memberships } from '../ports/memberships';
import type { MessageHistory } from '../ports/message-history';
import type { StatusRecorder } from '../ports/status-recorder';
import { Receipts } from './receipts';

const CONV = '0190aaaa-0000-7000-8000-000000000001';

function msg(seq: number, from = 'bob', to = ['alice']): StoredMessage {
  return {
    message_id: `0190aaaa-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    conversation_id: CONV,
    from,
    to,
    channels: ['internal'],
    payload: { type: 'text', text: `m${seq}` },
    source: 'api',
    accepted_at: new Date(0).toISOString(),
    submitted_by: `user:${from}`,
    sequence_number: seq,
    stored_at: new Date(0).toISOString(),
  };
}

/** In-memory ports: enough to test the receipt rules, not a stand-in for the stores in integration tests. */
function setup(messages: StoredMessage[], membership: Membership | undefined) {
  const statuses = new Map<string, Status>();
  const recorded: StatusEvent[] = [];
  const history: MessageHistory = {
    after: async (_c, after, limit) => messages.filter((m) => m.sequence_number > after).slice(0, limit),
    get: async (id) => messages.find((m) => m.message_id === id),
  };
  const memberships: Memberships = {
    of: async () => (membership ? [membership] : []),
    get: async () => membership,
    advance: async (_u, _c, to) => {
      if (!membership) return;
      membership.delivered_seq = Math.max(membership.delivered_seq, to.delivered_seq ?? 0);
      membership.read_seq = Math.max(membership.read_seq, to.read_seq ?? 0);
    },
  };
  const recorder: StatusRecorder = {
    // Folds forward-only, as the status API does.
    record: async (events) => {
      for (const e of events) {
        const key = `${e.message_id}|${e.recipient}`;
        if (!canTransition(statuses.get(key) ?? 'sent', e.status)) continue;
        statuses.set(key, e.status);
        recorded.push(e);
      }
    },
  };
  return { receipts: new Receipts({ history, memberships, statuses: recorder, pageSize: 2 }), recorded, membership };
}

describe('receipts', () => {
  it('ack marks the message delivered and advances delivered_seq', async () => {
    const { receipts, recorded, membership } = setup([msg(1), msg(2)], {
      conversation_id: CONV,
      delivered_seq: 0,
      read_seq: 0,
      last_seq: 2,
    });
    await receipts.ack('alice', msg(2).message_id);
    await receipts.ack('alice', msg(2).message_id);
    expect(recorded.map((e) => [e.sequence_number, e.status, e.recipient, e.channel])).toEqual([[2, 'delivered', 'alice', 'internal']]);
    expect(membership!.delivered_seq).toBe(2);
  });

  it('ack of a message that is not yours is not found', async () => {
    const { receipts } = setup([msg(1, 'bob', ['carol'])], { conversation_id: CONV, delivered_seq: 0, read_seq: 0, last_seq: 1 });
    await expect(receipts.ack('alice', msg(1).message_id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(receipts.ack('alice', '0190aaaa-0000-7000-8000-999999999999')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('read marks every message up to the sequence read (delivered first), skipping your own, once', async () => {
    const { receipts, recorded, membership } = setup([msg(1), msg(2, 'alice', ['bob']), msg(3), msg(4), msg(5)], {
      conversation_id: CONV,
      delivered_seq: 0,
      read_seq: 0,
      last_seq: 5,
    });
    await receipts.ack('alice', msg(1).message_id);
    await receipts.read('alice', CONV, 4);
    await receipts.read('alice', CONV, 3);
    expect(recorded.map((e) => `${e.sequence_number}:${e.status}`)).toEqual([
      '1:delivered',
      '1:read',
      '3:delivered',
      '3:read',
      '4:delivered',
      '4:read',
    ]);
    expect(membership).toMatchObject({ delivered_seq: 4, read_seq: 4 });
  });

  it('read beyond the end of the conversation, or of one you are not in, is refused', async () => {
    const { receipts, recorded } = setup([msg(1)], { conversation_id: CONV, delivered_seq: 0, read_seq: 0, last_seq: 1 });
    await expect(receipts.read('alice', CONV, 2)).rejects.toMatchObject({ code: 'sequence_out_of_range' });
    expect(recorded).toEqual([]);
    const other = setup([msg(1)], undefined);
    await expect(other.receipts.read('alice', CONV, 1)).rejects.toMatchObject({ code: 'not_member' });
  });
});
