import { describe, expect, it } from 'vitest';
import { newId, type MessageEvent, type StoredMessage } from '@hub/domain';
import type { ConversationSequences, MessageLedger, SequenceState } from '@hub/messages';
import { createLogger } from '@hub/platform';
import { SequenceAllocator } from './sequence-allocator';

/** In-memory ports (unit test of the numbering logic; the Mongo adapters have their own real-server tests). */
class Memory implements ConversationSequences, MessageLedger {
  convs = new Map<string, SequenceState>();
  messages = new Map<string, StoredMessage>();
  failReserveOnce = false;
  async load(id: string) {
    const s = this.convs.get(id);
    return s ? structuredClone(s) : undefined;
  }
  async reserve(id: string, expected: number, ids: readonly string[]) {
    const s = this.convs.get(id)!;
    if (s.lastSeq !== expected) return undefined;
    const next = { ...s, lastSeq: expected + ids.length, reserved: { first: expected + 1, ids: [...ids] } };
    this.convs.set(id, next);
    return structuredClone(next);
  }
  async repair(id: string) {
    return this.load(id);
  }
  async claim() {
    return new Set<string>();
  }
  async findStored(ids: readonly string[]) {
    return new Map(ids.filter((i) => this.messages.has(i)).map((i) => [i, this.messages.get(i)!]));
  }
  async insert(ms: readonly StoredMessage[]) {
    const alreadyStored: string[] = [];
    for (const m of ms) {
      if (this.messages.has(m.message_id)) alreadyStored.push(m.message_id);
      else if ([...this.messages.values()].some((x) => x.conversation_id === m.conversation_id && x.sequence_number === m.sequence_number)) throw new Error('sequence taken');
      else this.messages.set(m.message_id, m);
    }
    return { alreadyStored };
  }
  async routed() {
    return new Set<string>();
  }
  async markRouted() {}
}

const logger = createLogger({ service: 'test', level: 'silent' });
const conv = newId();
const ev = (): MessageEvent => ({ message_id: newId(), conversation_id: conv, from: 'a', to: ['b'], channels: ['internal'], payload: { type: 'text', text: 'x' }, source: 'api', accepted_at: new Date().toISOString(), submitted_by: 'user:a' });
const now = () => new Date();

function setup() {
  const mem = new Memory();
  mem.convs.set(conv, { conversationId: conv, members: ['a', 'b'], lastSeq: 0 });
  const fresh = () => new SequenceAllocator(mem, mem, logger, { cacheSize: 100 });
  return { mem, fresh };
}

async function storeBatch(a: SequenceAllocator, mem: Memory, batch: MessageEvent[]) {
  const newOnes = batch.filter((m) => !mem.messages.has(m.message_id));
  const alloc = await a.allocate(conv, newOnes, now);
  await mem.insert(alloc.fresh);
  a.stored([conv]);
  return alloc;
}

const seqs = (mem: Memory) => [...mem.messages.values()].map((m) => m.sequence_number).sort((x, y) => x - y);

describe('SequenceAllocator', () => {
  it('numbers batches consecutively', async () => {
    const { mem, fresh } = setup();
    const a = fresh();
    const b1 = [ev(), ev(), ev()];
    const b2 = [ev(), ev()];
    await storeBatch(a, mem, b1);
    await storeBatch(a, mem, b2);
    expect([...b1, ...b2].map((m) => mem.messages.get(m.message_id)!.sequence_number)).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives messages reserved before a crash the same numbers when redelivered, even in a shorter batch', async () => {
    const { mem, fresh } = setup();
    const batch = [ev(), ev(), ev(), ev()];
    // Worker 1 reserves 1..4 and dies before inserting anything.
    const lost = await fresh().allocate(conv, batch, now);
    expect(lost.fresh.map((m) => m.sequence_number)).toEqual([1, 2, 3, 4]);
    // Worker 2 (cold cache) gets the first two back in one batch, then the rest plus a new one.
    const w2 = fresh();
    const first = await storeBatch(w2, mem, batch.slice(0, 2));
    expect(first.reused.map((m) => m.sequence_number)).toEqual([1, 2]);
    const later = ev();
    await storeBatch(w2, mem, [...batch.slice(2), later]);
    expect([...batch, later].map((m) => mem.messages.get(m.message_id)!.sequence_number)).toEqual([1, 2, 3, 4, 5]);
  });

  it('recovers a half-finished insert without a gap or a repeat', async () => {
    const { mem, fresh } = setup();
    const batch = [ev(), ev(), ev()];
    const alloc = await fresh().allocate(conv, batch, now);
    await mem.insert([alloc.fresh[0]!, alloc.fresh[2]!]); // unordered insert cut short
    const w2 = fresh();
    await storeBatch(w2, mem, [...batch, ev()]);
    expect(seqs(mem)).toEqual([1, 2, 3, 4]);
    expect(mem.messages.get(batch[1]!.message_id)!.sequence_number).toBe(2);
  });

  it('re-reads after losing the compare-and-set to another writer and reuses that writer’s numbers', async () => {
    const { mem, fresh } = setup();
    const stale = fresh();
    await storeBatch(stale, mem, [ev()]); // stale cache: lastSeq 1
    const batch = [ev(), ev()];
    // Another worker took the partition meanwhile and reserved (but did not store) the same batch.
    await fresh().allocate(conv, batch, now);
    const res = await stale.allocate(conv, batch, now);
    expect(res.reused.map((m) => m.sequence_number)).toEqual([2, 3]);
    expect(seqs(mem)).toEqual([1, 2, 3]);
  });
});
