import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError, writeErrorIndexes } from '@hub/platform';
import { Collections } from '../collections';
import type { SequenceSlot, SequenceSlots, TakeResult } from '../ports/sequence-slots';

interface SlotDoc {
  _id: string;
  conversation_id: string;
  sequence_number: number;
  message_id: string;
  partition: number;
  offset: string;
  taken_at: Date;
}

const slotId = (conversationId: string, seq: number) => `${conversationId}:${seq}`;

/**
 * Adapter: sequence slots in MongoDB, one document per number with
 * `_id = conversation:number`. Taking is an ordered bulk insert (the unique
 * `_id` refuses a second holder and stops the batch there); reading is by
 * `_id` only, the one lookup FerretDB serves from an index.
 */
export class MongoSequenceSlots implements SequenceSlots {
  private readonly slots: Collection<SlotDoc>;

  constructor(db: Db) {
    this.slots = db.collection<SlotDoc>(Collections.sequenceSlots);
  }

  async take(list: readonly SequenceSlot[]): Promise<TakeResult> {
    let taken = 0;
    while (taken < list.length) {
      const rest = list.slice(taken);
      const now = new Date();
      try {
        await this.slots.insertMany(
          rest.map((s) => ({ _id: slotId(s.conversation_id, s.sequence_number), ...pick(s), taken_at: now })),
          { ordered: true },
        );
        return { taken: list.length };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        const index = firstErrorIndex(err);
        const slot = rest[index]!;
        const holder = await this.get(slot.conversation_id, slot.sequence_number);
        // Ours already (a retried batch that got this far before): keep going after it.
        if (holder?.message_id === slot.message_id) {
          taken += index + 1;
          continue;
        }
        return holder ? { taken: taken + index, refused: { slot, holder } } : { taken: taken + index, refused: { slot } };
      }
    }
    return { taken };
  }

  async get(conversationId: string, sequenceNumber: number): Promise<SequenceSlot | undefined> {
    const doc = await this.slots.findOne({ _id: slotId(conversationId, sequenceNumber) });
    return doc ? pick(doc) : undefined;
  }

  async last(conversationId: string, floor: number): Promise<number> {
    const taken = async (n: number) => (await this.slots.findOne({ _id: slotId(conversationId, n) }, { projection: { _id: 1 } })) !== null;
    let low = floor;
    let step = 1;
    while (await taken(low + step)) {
      low += step;
      step *= 2;
    }
    let high = low + step;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (await taken(mid)) low = mid;
      else high = mid;
    }
    return low;
  }
}

function pick(s: SequenceSlot): SequenceSlot {
  return {
    conversation_id: s.conversation_id,
    sequence_number: s.sequence_number,
    message_id: s.message_id,
    partition: s.partition,
    offset: s.offset,
  };
}

function firstErrorIndex(err: unknown): number {
  const failed = writeErrorIndexes(err);
  if (failed.length > 0) return failed[0]!;
  const inserted =
    (err as { insertedCount?: number; result?: { insertedCount?: number } }).insertedCount ??
    (err as { result?: { insertedCount?: number } }).result?.insertedCount;
  return inserted ?? 0;
}
