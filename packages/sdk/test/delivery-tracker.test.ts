import { describe, expect, it } from 'vitest';
import { DeliveryTracker } from '../src/index.js';

const m = (id: string, seq: number, conversation = 'c1') => ({ message_id: id, conversation_id: conversation, sequence_number: seq });

describe('DeliveryTracker', () => {
  it('passes each message once and drops repeats by message_id', () => {
    const t = new DeliveryTracker();
    expect(t.receive(m('a', 1))).toBe(true);
    expect(t.receive(m('b', 2))).toBe(true);
    expect(t.receive(m('a', 1))).toBe(false);
    expect(t.receive(m('b', 2))).toBe(false);
  });

  it('moves the resume position up with acks, never down, per conversation', () => {
    const t = new DeliveryTracker();
    for (const x of [m('a', 1), m('b', 2), m('x', 7, 'c2')]) t.receive(x);
    t.markAcked(m('b', 2));
    t.markAcked(m('a', 1));
    t.markAcked(m('x', 7, 'c2'));
    expect(t.positions()).toEqual({ c1: 2, c2: 7 });
  });

  it('treats anything at or below the acked position as a repeat, also after its id was forgotten', () => {
    const t = new DeliveryTracker(2);
    for (let i = 1; i <= 5; i++) {
      expect(t.receive(m(`id${i}`, i))).toBe(true);
      t.markAcked(m(`id${i}`, i));
    }
    // id1 is no longer remembered (capacity 2), but sequence 1 was acknowledged.
    expect(t.receive(m('id1', 1))).toBe(false);
    expect(t.wasAcked(m('id1', 1))).toBe(true);
    expect(t.receive(m('id6', 6))).toBe(true);
    expect(t.wasAcked(m('id6', 6))).toBe(false);
  });

  it('resumes from positions restored from storage', () => {
    const t = new DeliveryTracker(100, { c1: 10 });
    expect(t.receive(m('old', 10))).toBe(false);
    expect(t.receive(m('new', 11))).toBe(true);
    expect(t.positions()).toEqual({ c1: 10 });
  });

  it('keeps unacknowledged repeats out without claiming they were acked (manual acks)', () => {
    const t = new DeliveryTracker();
    t.receive(m('a', 1));
    expect(t.receive(m('a', 1))).toBe(false);
    expect(t.wasAcked(m('a', 1))).toBe(false);
  });
});
