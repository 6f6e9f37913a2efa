import type { Collection, Db } from 'mongodb';
import type { StoredMessage } from '@hub/domain';
import { eachLimited, isDuplicateKeyError, writeErrorIndexes, type MongoHandle } from '@hub/platform';
import { Collections } from '../collections';
import { SequenceConflictError, type MessageWriter, type MessageReader, type Sighting } from '../ports/message-store';
import type { SequenceSlot, SequenceSlots } from '../ports/sequence-slots';
import { MongoSequenceSlots } from './mongo-sequence-slots';

type MessageDoc = StoredMessage & { _id: string };

interface ClaimDoc {
  _id: string;
  conversation_id: string;
  /** The log position of the first record carrying the message. */
  partition?: number;
  offset?: string;
  claimed_at: Date;
}

/** How many `_id` lookups run at once (each is one round trip; FerretDB serves only `_id` equality from an index). */
const LOOKUP_CONCURRENCY = 16;

/**
 * Adapter: messages in MongoDB, keyed by message_id.
 *
 * Dedup without reading first: `claim` inserts one tiny document per
 * message into `message_claims` with `insertMany(ordered:false)`; the
 * unique `_id` rejects those seen before, so one bulk write splits a batch
 * into new and already-seen messages. Only the already-seen ones (re-sends,
 * redeliveries) are then looked up one by one. The claim keeps the first
 * record's log position, which tells a re-send of a finished message from
 * a redelivery of an unfinished one (see the route worker).
 */
export class MongoMessageStore implements MessageWriter, MessageReader {
  private readonly messages: Collection<MessageDoc>;
  private readonly claims: Collection<ClaimDoc>;
  private readonly slots: SequenceSlots | undefined;

  /**
   * `historyBySlots`: read history through the sequence slots, by `_id`
   * only, for a server that serves no other lookup from an index
   * (MongoHandle.idLookupsOnly). Otherwise one range query on the
   * (conversation_id, sequence_number) index.
   */
  constructor(db: Db, opts: { historyBySlots?: SequenceSlots } = {}) {
    this.messages = db.collection<MessageDoc>(Collections.messages);
    this.claims = db.collection<ClaimDoc>(Collections.messageClaims);
    this.slots = opts.historyBySlots;
  }

  async claim(messages: ReadonlyArray<{ message_id: string; conversation_id: string } & Sighting>): Promise<Set<string>> {
    if (messages.length === 0) return new Set();
    const now = new Date();
    return duplicatesOf(
      () =>
        this.claims.insertMany(
          messages.map((m) => ({
            _id: m.message_id,
            conversation_id: m.conversation_id,
            partition: m.partition,
            offset: m.offset,
            claimed_at: now,
          })),
          { ordered: false },
        ),
      messages.map((m) => m.message_id),
    );
  }

  async sightings(ids: readonly string[]): Promise<Map<string, Sighting>> {
    const found = new Map<string, Sighting>();
    await eachLimited(ids, LOOKUP_CONCURRENCY, async (id) => {
      const doc = await this.claims.findOne({ _id: id }, { projection: { partition: 1, offset: 1 } });
      if (doc && typeof doc.partition === 'number' && typeof doc.offset === 'string')
        found.set(id, { partition: doc.partition, offset: doc.offset });
    });
    return found;
  }

  async findStored(ids: readonly string[]): Promise<Map<string, StoredMessage>> {
    const found = new Map<string, StoredMessage>();
    await eachLimited(ids, LOOKUP_CONCURRENCY, async (id) => {
      const doc = await this.messages.findOne({ _id: id });
      if (doc) found.set(id, toStored(doc));
    });
    return found;
  }

  async insert(messages: readonly StoredMessage[]): Promise<{ alreadyStored: string[] }> {
    if (messages.length === 0) return { alreadyStored: [] };
    const rejected = await duplicatesOf(
      () =>
        this.messages.insertMany(
          messages.map((m) => ({ ...m, _id: m.message_id })),
          { ordered: false },
        ),
      messages.map((m) => m.message_id),
    );
    if (rejected.size === 0) return { alreadyStored: [] };
    // A unique-index error does not say which index: a stored message_id is
    // a harmless repeat, anything else is a sequence number already taken.
    const stored = await this.findStored([...rejected]);
    const conflicts = messages.filter((m) => rejected.has(m.message_id) && !stored.has(m.message_id));
    if (conflicts.length > 0)
      throw new SequenceConflictError(
        [...new Set(conflicts.map((m) => m.conversation_id))],
        conflicts.map((m) => m.message_id),
      );
    return { alreadyStored: [...stored.keys()] };
  }

  async get(messageId: string): Promise<StoredMessage | undefined> {
    const doc = await this.messages.findOne({ _id: messageId });
    return doc ? toStored(doc) : undefined;
  }

  async after(conversationId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    if (this.slots) return this.afterBySlots(this.slots, conversationId, afterSeq, limit);
    const docs = await this.messages
      .find({ conversation_id: conversationId, sequence_number: { $gt: afterSeq } })
      .sort({ sequence_number: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toStored);
  }

  /**
   * History by `_id` lookups only: the slots of the next numbers name the
   * messages holding them. Numbers are taken without gaps, so the first
   * free slot ends the conversation. A slot whose message is not stored
   * yet (its batch is being written) is passed over, as the range query
   * passes over it: both return the stored messages above `afterSeq`.
   * FerretDB took 13 s for one page by range query at 170,000 messages,
   * scanning them all; this costs about 2·limit point reads at any size.
   */
  private async afterBySlots(slots: SequenceSlots, conversationId: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    const found: StoredMessage[] = [];
    let next = afterSeq + 1;
    while (found.length < limit) {
      const numbers = Array.from({ length: Math.min(LOOKUP_CONCURRENCY, limit - found.length) }, (_, i) => next + i);
      next += numbers.length;
      const taken = await Promise.all(numbers.map((n) => slots.get(conversationId, n)));
      const end = taken.findIndex((slot) => slot === undefined);
      const held = (end < 0 ? taken : taken.slice(0, end)) as SequenceSlot[];
      const stored = await this.findStored(held.map((slot) => slot.message_id));
      for (const slot of held) {
        const m = stored.get(slot.message_id);
        if (m && m.conversation_id === conversationId && m.sequence_number === slot.sequence_number) found.push(m);
      }
      if (end >= 0) break;
    }
    return found;
  }
}

/** The message store with the history reads this server serves from an index: through the slots where it answers only `_id` lookups. */
export function messageStoreFor(mongo: Pick<MongoHandle, 'db' | 'idLookupsOnly'>): MongoMessageStore {
  return new MongoMessageStore(mongo.db, mongo.idLookupsOnly ? { historyBySlots: new MongoSequenceSlots(mongo.db) } : {});
}

/** Runs a bulk insert and resolves with the ids whose insert hit a unique index (every other failure is thrown). */
async function duplicatesOf(insert: () => Promise<unknown>, ids: string[]): Promise<Set<string>> {
  try {
    await insert();
    return new Set();
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const failed = writeErrorIndexes(err);
    if (failed.length === 0) return new Set(ids);
    return new Set(failed.map((i) => ids[i]!).filter(Boolean));
  }
}

function toStored(doc: MessageDoc): StoredMessage {
  const { _id: _ignored, ...message } = doc;
  return message;
}
