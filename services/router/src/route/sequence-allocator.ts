import { LRUCache } from 'lru-cache';
import { TransientError, type MessageEvent, type StoredMessage } from '@hub/domain';
import type { ConversationSequences, SequenceSlot, SequenceSlots, SequenceState } from '@hub/messages';
import type { Logger } from '@hub/platform';

/** A message to number, in partition order within its conversation. */
export interface ToNumber {
  event: MessageEvent;
  /** Where its record is in the log. */
  partition: number;
  offset: string;
  /** Claimed before this batch but not stored: an unfinished earlier attempt may have numbered it already. */
  orphan: boolean;
}

/**
 * Offset of the first record of each partition in the batch: everything
 * before it was processed to the end (or it would be redelivered).
 */
export type FirstOffsets = ReadonlyMap<number, string>;

/** How many slots the tail search reads at once. */
const TAIL_WINDOW = 16;

/**
 * Gives each new message of a conversation the next gap-free sequence
 * number, with inserts only: one ordered bulk insert of sequence slots per
 * batch (SequenceSlots), no update of any document.
 *
 * A conversation's messages sit on one partition, processed in order by
 * one worker, so the worker keeps each conversation's last number in
 * memory and numbers from there. The slots make that safe:
 *  - A number is taken by inserting its slot; the store refuses a second
 *    holder, so no number is handed out twice. Slots are inserted in
 *    order and the insert stops at the first refusal, so they stay
 *    contiguous (no gap) and, per conversation, in partition order.
 *  - A refusal means this worker's counter was stale (another worker
 *    numbered the conversation meanwhile): counters of the batch are
 *    dropped and the batch fails, to be retried with counters re-read.
 *  - After a crash (or a failed batch) the redelivered batch starts at the
 *    committed offset. Its messages that were claimed but not stored
 *    ("orphans") may hold slots from the unfinished attempt: those slots
 *    are the conversation's tail, recorded with offsets at or after the
 *    batch's first offset, and the orphans get those numbers back. The
 *    attempt numbered a prefix of the batch (the insert stops at the first
 *    refusal), so the orphans found come before every message still to be
 *    numbered.
 *  - The unique index on (conversation_id, sequence_number) in `messages`
 *    refuses any repeat that gets past all of this.
 * A counter missing from memory (start, rebalance, eviction) is found
 * again by searching the slots (SequenceSlots.last: about 2·log2(n) reads).
 */
export class SequenceAllocator {
  private readonly cache: LRUCache<string, SequenceState>;
  private readonly onAnomaly: (conversationId: string) => void;

  constructor(
    private readonly sequences: ConversationSequences,
    private readonly slots: SequenceSlots,
    private readonly logger: Logger,
    opts: { cacheSize: number; onAnomaly?: (conversationId: string) => void },
  ) {
    this.cache = new LRUCache({ max: opts.cacheSize });
    this.onAnomaly = opts.onAnomaly ?? (() => {});
  }

  /** The conversation's members and last taken number, or undefined when there is no such conversation. */
  async state(conversationId: string): Promise<SequenceState | undefined> {
    const cached = this.cache.get(conversationId);
    if (cached) return cached;
    const loaded = await this.sequences.load(conversationId);
    if (!loaded) return undefined;
    const state = { ...loaded, lastSeq: await this.slots.last(conversationId, loaded.lastSeq) };
    this.cache.set(conversationId, state);
    return state;
  }

  /**
   * Numbers the messages of each conversation (given in partition order)
   * and takes their slots. Resolves with the messages to insert; throws a
   * TransientError (batch retried) when a slot turned out to be taken.
   */
  async number(
    firstOffsets: FirstOffsets,
    byConversation: ReadonlyMap<string, readonly ToNumber[]>,
    now: () => Date,
  ): Promise<StoredMessage[]> {
    const numbered: StoredMessage[] = [];
    const wanted: SequenceSlot[] = [];
    const next = new Map<string, number>();
    for (const [conversationId, list] of byConversation) {
      const state = await this.state(conversationId);
      if (!state) throw new Error(`conversation ${conversationId} vanished`);
      const orphans = new Set(list.filter((m) => m.orphan).map((m) => m.event.message_id));
      const partition = list[0]!.partition;
      const held =
        orphans.size > 0
          ? await this.unfinishedTail(conversationId, state.lastSeq, partition, firstOffsets.get(partition)!, orphans)
          : new Map<string, number>();
      let last = state.lastSeq;
      let numberedNew = false;
      for (const m of list) {
        const seq = held.get(m.event.message_id);
        if (seq !== undefined) {
          if (numberedNew)
            this.anomaly(conversationId, 'a message numbered by an unfinished attempt comes after one that was not', {
              message_id: m.event.message_id,
              sequence_number: seq,
            });
          numbered.push(toStored(m.event, seq, now()));
          continue;
        }
        numberedNew = true;
        last += 1;
        wanted.push({
          conversation_id: conversationId,
          sequence_number: last,
          message_id: m.event.message_id,
          partition: m.partition,
          offset: m.offset,
        });
        numbered.push(toStored(m.event, last, now()));
      }
      next.set(conversationId, last);
    }

    const result = await this.slots.take(wanted);
    if (result.refused) {
      const { slot, holder } = result.refused;
      this.forget(byConversation.keys());
      this.anomaly(slot.conversation_id, 'sequence number already taken by another message; counters re-read and the batch retried', {
        sequence_number: slot.sequence_number,
        message_id: slot.message_id,
        holder: holder?.message_id,
      });
      throw new TransientError(
        `sequence number ${slot.sequence_number} of conversation ${slot.conversation_id} is taken by another message`,
      );
    }
    for (const [conversationId, last] of next) {
      const state = this.cache.get(conversationId);
      if (state) state.lastSeq = last;
    }
    return numbered;
  }

  /** Forget cached counters (after a failed batch: the retry re-reads them). */
  forget(conversationIds: Iterable<string>): void {
    for (const id of conversationIds) this.cache.delete(id);
  }

  /** Forget every cached counter (partitions moved: other workers may have numbered our conversations). */
  forgetAll(): void {
    this.cache.clear();
  }

  /**
   * The slots an unfinished attempt at this batch took: walking down from
   * the last number while slots belong to records at or after the batch's
   * first offset. Stops early once every orphan is found.
   */
  private async unfinishedTail(
    conversationId: string,
    last: number,
    partition: number,
    firstOffset: string,
    orphans: Set<string>,
  ): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const first = BigInt(firstOffset);
    for (let top = last; top > 0 && found.size < orphans.size; top -= TAIL_WINDOW) {
      const numbers = Array.from({ length: Math.min(TAIL_WINDOW, top) }, (_, i) => top - i);
      const slots = await Promise.all(numbers.map((n) => this.slots.get(conversationId, n)));
      for (const slot of slots) {
        if (!slot || slot.partition !== partition || BigInt(slot.offset) < first) return found;
        if (orphans.has(slot.message_id)) found.set(slot.message_id, slot.sequence_number);
      }
    }
    return found;
  }

  private anomaly(conversationId: string, what: string, details: Record<string, unknown>): void {
    this.onAnomaly(conversationId);
    this.logger.error({ conversation_id: conversationId, ...details }, what);
  }
}

function toStored(m: MessageEvent, sequence: number, storedAt: Date): StoredMessage {
  return { ...m, sequence_number: sequence, stored_at: storedAt.toISOString() };
}
