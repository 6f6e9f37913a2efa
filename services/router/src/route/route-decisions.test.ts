import { randomUUID } from 'node:crypto';
import { context } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { makeEnvelope, MESSAGE_ACCEPTED, type MessageEvent, type StoredMessage } from '@hub/domain';
import type { SequenceState } from '@hub/messages';
import type { ConsumedRecord } from '@hub/platform';
import { decodeMessageRecord } from './message-records';
import { admitNew, batchMessages, routingOrder, splitStored, unfinishedRouting } from './route-decisions';

const conv = randomUUID();
let offset = 100;

function event(over: Partial<MessageEvent> = {}): MessageEvent {
  return {
    message_id: randomUUID(),
    conversation_id: conv,
    from: 'alice',
    to: ['bob'],
    channels: ['internal'],
    payload: { type: 'text', text: 'hi' },
    source: 'api',
    accepted_at: new Date().toISOString(),
    submitted_by: 'client:crm',
    ...over,
  };
}

function record(payload: unknown, partition = 0, type = MESSAGE_ACCEPTED): ConsumedRecord {
  return {
    topic: 'hub.messages.v1',
    partition,
    offset: String(offset++),
    key: conv,
    timestamp: Date.now(),
    headers: {},
    traceContext: context.active(),
    envelope: makeEnvelope(type, payload),
  };
}

const batchOf = (...records: ConsumedRecord[]) => batchMessages(records.map(decodeMessageRecord));
const storedOf = (e: MessageEvent, seq = 1): StoredMessage => ({ ...e, sequence_number: seq, stored_at: new Date().toISOString() });

describe('route decisions: dedup within a batch', () => {
  it('keeps the first record of a message_id and counts a repeat of the same origin as a duplicate', () => {
    const e = event();
    const first = record(e);
    const b = batchOf(first, record({ ...e, accepted_at: new Date(Date.now() + 1_000).toISOString() }));
    expect(b.events.map((x) => x.message_id)).toEqual([e.message_id]);
    expect(b.byId.get(e.message_id)?.record).toBe(first);
    expect(b.duplicates).toBe(1);
    expect(b.refusals).toEqual([]);
  });

  it('dead-letters a second message under a taken id (another sender, caller or conversation), not the first', () => {
    const e = event();
    const others = [
      event({ message_id: e.message_id, from: 'carol' }),
      event({ message_id: e.message_id, submitted_by: 'client:other' }),
      event({ message_id: e.message_id, conversation_id: randomUUID() }),
    ];
    const records = others.map((o) => record(o));
    const b = batchOf(record(e), ...records);
    expect(b.events).toEqual([e]);
    expect(b.duplicates).toBe(0);
    expect(b.refusals.map((r) => [r.record, r.label, r.messageId])).toEqual(records.map((r) => [r, 'message_id_taken', e.message_id]));
    expect(b.refusals[0]!.reason).toContain('already used by a message of another sender or conversation');
  });

  it('a message stored before submitted_by existed is the same message when sender and conversation match', () => {
    const e = event();
    const { submitted_by: _caller, ...old } = storedOf(e);
    const b = batchOf(record(e));
    expect(splitStored(new Map([[e.message_id, old as StoredMessage]]), b)).toEqual({ again: [old], taken: [] });
  });

  it('dead-letters poison and invalid records, labelled apart, and keeps going', () => {
    const poison: ConsumedRecord = { ...record({}), envelope: undefined, poison: { reason: 'not JSON', raw: '{' } };
    const wrongType = record(event(), 0, 'something.else');
    const invalid = record({ ...event(), to: [] });
    const good = event();
    const b = batchOf(poison, wrongType, invalid, record(good));
    expect(b.refusals.map((r) => r.label)).toEqual(['unparseable', 'invalid', 'invalid']);
    expect(b.refusals[1]!.reason).toContain('unexpected envelope type "something.else"');
    expect(b.events).toEqual([good]);
  });
});

describe('route decisions: messages already stored', () => {
  it('a stored message of the same origin is seen again; another origin under the id is dead-lettered', () => {
    const mine = event();
    const clash = event();
    const b = batchOf(record(mine), record(clash));
    const stored = new Map([
      [mine.message_id, storedOf(mine)],
      [clash.message_id, storedOf({ ...clash, from: 'mallory' })],
    ]);
    const { again, taken } = splitStored(stored, b);
    expect(again.map((m) => m.message_id)).toEqual([mine.message_id]);
    expect(taken.map((r) => [r.label, r.messageId])).toEqual([['message_id_taken', clash.message_id]]);
  });

  it('routes again only what was first seen at or after its partition’s first offset in this batch (an attempt cut short)', () => {
    const cutShort = event();
    const resent = event();
    const otherPartition = event();
    const b = batchOf(record(cutShort, 0), record(resent, 0), record(otherPartition, 1));
    const first = new Map([
      [0, b.byId.get(cutShort.message_id)!.record.offset],
      [1, b.byId.get(otherPartition.message_id)!.record.offset],
    ]);
    const again = [cutShort, resent, otherPartition].map((e) => storedOf(e));
    const sightings = new Map([
      [cutShort.message_id, { partition: 0, offset: first.get(0)! }],
      // Seen long before this batch: a finished message sent again.
      [resent.message_id, { partition: 0, offset: '3' }],
      // First seen on another partition than this record's: not this batch's unfinished work.
      [otherPartition.message_id, { partition: 0, offset: first.get(0)! }],
    ]);
    expect(unfinishedRouting(again, sightings, first, b).map((m) => m.message_id)).toEqual([cutShort.message_id]);
    expect(unfinishedRouting(again, new Map(), first, b)).toEqual([]);
  });
});

describe('route decisions: what is numbered and routed', () => {
  const state = (members: string[]): SequenceState => ({ conversationId: conv, members, lastSeq: 0 }) as unknown as SequenceState;

  it('numbers members’ messages per conversation in batch order, and dead-letters unknown conversations and outsiders', () => {
    const ok1 = event();
    const ok2 = event({ from: 'bob', to: ['alice'] });
    const outsider = event({ to: ['bob', 'eve'] });
    const nowhere = event({ conversation_id: randomUUID() });
    const b = batchOf(...[ok1, ok2, outsider, nowhere].map((e) => record(e)));
    const states = new Map<string, SequenceState | undefined>([
      [conv, state(['alice', 'bob'])],
      [nowhere.conversation_id, undefined],
    ]);
    const { byConversation, refusals } = admitNew(b.events, states, b, new Set([ok2.message_id]));
    expect(byConversation.get(conv)!.map((t) => [t.event.message_id, t.orphan])).toEqual([
      [ok1.message_id, false],
      [ok2.message_id, true],
    ]);
    expect(byConversation.has(nowhere.conversation_id)).toBe(false);
    expect(refusals.map((r) => [r.label, r.messageId, r.reason])).toEqual([
      ['not_a_member', outsider.message_id, `not members of conversation ${conv}: eve`],
      ['unknown_conversation', nowhere.message_id, `conversation ${nowhere.conversation_id} does not exist`],
    ]);
  });

  it('routes each conversation’s messages in sequence order', () => {
    const [a, b] = [randomUUID(), randomUUID()].sort();
    const msgs = [
      storedOf(event({ conversation_id: b! }), 2),
      storedOf(event({ conversation_id: a! }), 3),
      storedOf(event({ conversation_id: b! }), 1),
      storedOf(event({ conversation_id: a! }), 1),
    ];
    expect(routingOrder(msgs).map((m) => [m.conversation_id, m.sequence_number])).toEqual([
      [a, 1],
      [a, 3],
      [b, 1],
      [b, 2],
    ]);
  });
});
