import { describe, expect, it } from 'vitest';
import { newId, TransientError, type MessageEvent, type StoredMessage } from '@hub/domain';
import type { ConversationSequences, SequenceSlot, SequenceSlots, TakeResult } from '@hub/messages';
import { createLogger } from '@hub/platform';
import { SequenceAllocator, type ToNumber } from './sequence-allocator';

/** In-memory ports (unit test of the numbering logic; MongoSequenceSlots has its own real-server test). */
class Memory implements ConversationSequences, SequenceSlots {
  slots = new Map<string, SequenceSlot>();
  messages = new Map<string, StoredMessage>();
  members = ['a', 'b'];
  async load(id: string) {
    return { conversationId: id, members: this.members, lastSeq: 0 };
  }
  async take(list: readonly SequenceSlot[]): Promise<TakeResult> {
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      const key = `${s.conversation_id}:${s.sequence_number}`;
      const holder = this.slots.get(key);
      if (holder && holder.message_id !== s.message_id) return { taken: i, refused: { slot: s, holder } };
      this.slots.set(key, s);
    }
    return { taken: list.length };
  }
  async get(c: string, n: number) {
    return this.slots.get(`${c}:${n}`);
  }
  async last(c: string, floor: number) {
    let n = floor;
    while (this.slots.has(`${c}:${n + 1}`)) n++;
    return n;
  }
  store(ms: StoredMessage[]) {
    for (const m of ms) {
      if (this.messages.has(m.message_id)) continue;
      if ([...this.messages.values()].some((x) => x.conversation_id === m.conversation_id && x.sequence_number === m.sequence_number))
        throw new Error('sequence taken');
      this.messages.set(m.message_id, m);
    }
  }
}

const logger = createLogger({ service: 'test', level: 'silent' });
const conv = newId();
const ev = (): MessageEvent => ({
  message_id: newId(),
  conversation_id: conv,
  from: 'a',
  to: ['b'],
  channels: ['internal'],
  payload: { type: 'text', text: 'x' },
  source: 'api',
  accepted_at: new Date().toISOString(),
  submitted_by: 'user:a',
});
const now = () => new Date();

/** A partition's log: each event's offset is its position. */
class Log {
  events: MessageEvent[] = [];
  claimed = new Set<string>();
  append(n: number): MessageEvent[] {
    const added = Array.from({ length: n }, ev);
    this.events.push(...added);
    return added;
  }
  /** What the route worker hands the allocator for records [from, to): claims first, stored ones skipped. */
  batch(mem: Memory, from: number, to: number): { position: Map<number, string>; byConversation: Map<string, ToNumber[]> } {
    const list: ToNumber[] = [];
    for (let o = from; o < to; o++) {
      const e = this.events[o]!;
      const orphan = this.claimed.has(e.message_id);
      this.claimed.add(e.message_id);
      if (!mem.messages.has(e.message_id)) list.push({ event: e, partition: 0, offset: String(o), orphan });
    }
    return { position: new Map([[0, String(from)]]), byConversation: new Map([[conv, list]]) };
  }
}

async function run(a: SequenceAllocator, mem: Memory, log: Log, from: number, to: number, opts: { store?: 'all' | 'none' | number } = {}) {
  const { position, byConversation } = log.batch(mem, from, to);
  const numbered = await a.number(position, byConversation, now);
  const store = opts.store ?? 'all';
  if (store === 'all') mem.store(numbered);
  else if (typeof store === 'number') mem.store(numbered.slice(0, store));
  return numbered;
}

const seqOf = (mem: Memory, events: MessageEvent[]) => events.map((e) => mem.messages.get(e.message_id)?.sequence_number);

describe('SequenceAllocator', () => {
  it('numbers batches consecutively with one slot per message', async () => {
    const mem = new Memory();
    const log = new Log();
    const a = new SequenceAllocator(mem, mem, logger, { cacheSize: 100 });
    log.append(5);
    await run(a, mem, log, 0, 3);
    await run(a, mem, log, 3, 5);
    expect(seqOf(mem, log.events)).toEqual([1, 2, 3, 4, 5]);
    expect(mem.slots.size).toBe(5);
  });

  it('gives messages numbered before a crash the same numbers when redelivered, even in a shorter batch', async () => {
    const mem = new Memory();
    const log = new Log();
    log.append(4);
    // Worker 1 numbers 1..4 and dies before storing anything.
    await run(new SequenceAllocator(mem, mem, logger, { cacheSize: 100 }), mem, log, 0, 4, { store: 'none' });
    // Worker 2 (cold cache) gets the first two back in one batch, then the rest plus a new one.
    const w2 = new SequenceAllocator(mem, mem, logger, { cacheSize: 100 });
    await run(w2, mem, log, 0, 2);
    log.append(1);
    await run(w2, mem, log, 2, 5);
    expect(seqOf(mem, log.events)).toEqual([1, 2, 3, 4, 5]);
  });

  it('recovers a half-finished insert without a gap or a repeat', async () => {
    const mem = new Memory();
    const log = new Log();
    log.append(3);
    await run(new SequenceAllocator(mem, mem, logger, { cacheSize: 100 }), mem, log, 0, 3, { store: 1 });
    log.append(1);
    await run(new SequenceAllocator(mem, mem, logger, { cacheSize: 100 }), mem, log, 0, 4);
    expect(seqOf(mem, log.events)).toEqual([1, 2, 3, 4]);
  });

  it('leaves slots of finished batches alone when an orphan has no slot', async () => {
    const mem = new Memory();
    const log = new Log();
    const a = new SequenceAllocator(mem, mem, logger, { cacheSize: 100 });
    log.append(3);
    await run(a, mem, log, 0, 3);
    // A message claimed by an attempt that stopped before numbering it.
    const [late] = log.append(1);
    log.claimed.add(late!.message_id);
    await run(new SequenceAllocator(mem, mem, logger, { cacheSize: 100 }), mem, log, 3, 4);
    expect(seqOf(mem, log.events)).toEqual([1, 2, 3, 4]);
  });

  it('refuses with a retryable error when its counter is stale, and the retry numbers after the other worker', async () => {
    const mem = new Memory();
    const log = new Log();
    const stale = new SequenceAllocator(mem, mem, logger, { cacheSize: 100 });
    log.append(2);
    await run(stale, mem, log, 0, 1); // stale now believes the last number is 1
    // The partition moved: another worker stored record 1 and committed.
    await run(new SequenceAllocator(mem, mem, logger, { cacheSize: 100 }), mem, log, 1, 2);
    log.append(1);
    await expect(run(stale, mem, log, 2, 3)).rejects.toBeInstanceOf(TransientError);
    await run(stale, mem, log, 2, 3);
    expect(seqOf(mem, log.events)).toEqual([1, 2, 3]);
  });

  it('forgets every counter on a rebalance, so a moved partition is numbered from the store', async () => {
    const mem = new Memory();
    const log = new Log();
    const a = new SequenceAllocator(mem, mem, logger, { cacheSize: 100 });
    log.append(2);
    await run(a, mem, log, 0, 1);
    await run(new SequenceAllocator(mem, mem, logger, { cacheSize: 100 }), mem, log, 1, 2);
    a.forgetAll();
    log.append(1);
    await run(a, mem, log, 2, 3);
    expect(seqOf(mem, log.events)).toEqual([1, 2, 3]);
  });

  it('unknown conversation has no state', async () => {
    const mem = new Memory();
    mem.load = async () => undefined as never;
    expect(await new SequenceAllocator(mem, mem, logger, { cacheSize: 10 }).state(newId())).toBeUndefined();
  });
});
