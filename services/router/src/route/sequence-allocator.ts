import { LRUCache } from 'lru-cache';
import { TransientError, type MessageEvent, type StoredMessage } from '@hub/domain';
import type { ConversationSequences, MessageLedger, SequenceState } from '@hub/messages';
import type { Logger } from '@hub/platform';

interface CachedState extends SequenceState {
  /** True once every id of `reserved` is known stored (we stored them ourselves). */
  reservedStored: boolean;
}

export interface Allocation {
  /** New messages with their numbers, still to be inserted by the caller. */
  fresh: StoredMessage[];
  /** Messages that got back the numbers reserved for them before a crash; already inserted here. */
  reused: StoredMessage[];
}

const MAX_RESERVE_ATTEMPTS = 5;

/**
 * Gives each new message of a conversation the next gap-free sequence
 * number, one compare-and-set reservation per conversation per batch.
 *
 * Why no crash can leave a gap or a repeat. A conversation's messages sit on
 * one partition and are processed in order; the conversation document holds
 * `last_seq` and the last reserved block (`reserved`: which message_id holds
 * which number), written together by one `findOneAndUpdate` that only
 * succeeds if `last_seq` is still what this worker read.
 *  1. Crash after the claims, before the reservation: nothing was numbered;
 *     the redelivered messages are claimed-but-not-stored, so they are
 *     treated as new and numbered then.
 *  2. Crash after the reservation, before (or halfway through) the insert:
 *     the redelivered batch starts at the last committed offset, so the
 *     block's unstored messages come back first; their ids are in
 *     `reserved`, so they get the same numbers again (stored ones are
 *     skipped as duplicates). No number is handed out twice, none skipped.
 *  3. A new block is reserved only when every id of the previous block is
 *     stored (inserted here first, or found stored), so the record of a
 *     block is never overwritten while it is still needed.
 *  4. Crash after the insert: the messages are stored; redelivery finds
 *     them by message_id and only finishes their routing.
 * Two workers on one conversation at once (a rebalance leaving a stalled
 * consumer running) race on the compare-and-set: the loser re-reads, finds
 * its messages in the winner's block and reuses those numbers; the unique
 * indexes on message_id and (conversation_id, sequence_number) refuse any
 * repeat that gets past that (FerretDB does not isolate the conditional
 * update; real MongoDB does).
 *
 * States are cached: this worker is normally the conversation's only
 * writer, so after its own reservation it knows the next state. A stale
 * cache only costs a failed compare-and-set and a re-read.
 */
export class SequenceAllocator {
  private readonly cache: LRUCache<string, CachedState>;

  constructor(
    private readonly sequences: ConversationSequences,
    private readonly ledger: MessageLedger,
    private readonly logger: Logger,
    opts: { cacheSize: number; onAnomaly?: (conversationId: string) => void },
  ) {
    this.cache = new LRUCache({ max: opts.cacheSize });
    this.onAnomaly = opts.onAnomaly ?? (() => {});
  }

  private readonly onAnomaly: (conversationId: string) => void;

  /** The conversation's state (members, counter), or undefined when there is no such conversation. */
  async state(conversationId: string): Promise<SequenceState | undefined> {
    const cached = this.cache.get(conversationId);
    if (cached) return cached;
    const loaded = await this.sequences.load(conversationId);
    if (loaded) this.cache.set(conversationId, { ...loaded, reservedStored: false });
    return loaded;
  }

  /**
   * Numbers one conversation's new (not stored) messages, given in
   * partition order. Messages that held a reservation before a crash are
   * inserted here with their old numbers; the rest are returned for the
   * caller's batched insert, after which it must call `stored()`.
   */
  async allocate(conversationId: string, messages: readonly MessageEvent[], now: () => Date): Promise<Allocation> {
    const result: Allocation = { fresh: [], reused: [] };
    let pending = [...messages];
    let state = (await this.state(conversationId)) as CachedState | undefined;
    if (!state) throw new Error(`conversation ${conversationId} vanished`);
    for (let attempt = 0; attempt < MAX_RESERVE_ATTEMPTS && pending.length > 0; attempt++) {
      const block = state.reserved;
      const position = new Map(block?.ids.map((id, i) => [id, block.first + i]) ?? []);
      const reuse = pending.filter((m) => position.has(m.message_id));
      if (reuse.length > 0) {
        const stored = reuse.map((m) => toStored(m, position.get(m.message_id)!, now()));
        await this.ledger.insert(stored);
        result.reused.push(...stored);
        pending = pending.filter((m) => !position.has(m.message_id));
        if (pending.length === 0) break;
      }
      if (block && !state.reservedStored) await this.checkBlockStored(conversationId, block.ids, new Set(reuse.map((m) => m.message_id)));
      const ids = pending.map((m) => m.message_id);
      const next = await this.sequences.reserve(conversationId, state.lastSeq, ids);
      if (!next) {
        // Another writer moved the counter: re-read; our messages may be in its block.
        this.cache.delete(conversationId);
        const reloaded = await this.sequences.load(conversationId);
        if (!reloaded) throw new Error(`conversation ${conversationId} vanished`);
        state = { ...reloaded, reservedStored: false };
        this.cache.set(conversationId, state);
        continue;
      }
      const first = next.reserved!.first;
      result.fresh.push(...pending.map((m, i) => toStored(m, first + i, now())));
      this.cache.set(conversationId, { ...next, reservedStored: false });
      pending = [];
    }
    if (pending.length > 0) throw new TransientError(`could not reserve sequence numbers in conversation ${conversationId} after ${MAX_RESERVE_ATTEMPTS} attempts`);
    return result;
  }

  /** The caller stored every fresh message of these conversations. */
  stored(conversationIds: Iterable<string>): void {
    for (const id of conversationIds) {
      const s = this.cache.get(id);
      if (s) s.reservedStored = true;
    }
  }

  /** Forget cached states (after a failed batch: the redelivery re-reads them). */
  forget(conversationIds: Iterable<string>): void {
    for (const id of conversationIds) this.cache.delete(id);
  }

  /**
   * Before a block is replaced, its ids must all be stored (point 3 above).
   * Ids reused in this batch were just inserted; the rest are looked up.
   * One missing means the log and the counter disagree (a message that was
   * numbered but never came back); it is logged and counted, not retried
   * forever, because no redelivery can bring it back.
   */
  private async checkBlockStored(conversationId: string, ids: readonly string[], justInserted: Set<string>): Promise<void> {
    const rest = ids.filter((id) => !justInserted.has(id));
    if (rest.length === 0) return;
    const found = await this.ledger.findStored(rest);
    const missing = rest.filter((id) => !found.has(id));
    if (missing.length > 0) {
      this.onAnomaly(conversationId);
      this.logger.error({ conversation_id: conversationId, missing_message_ids: missing.slice(0, 20), missing: missing.length }, 'reserved sequence numbers were never stored; the conversation has a gap');
    }
  }
}

function toStored(m: MessageEvent, sequence: number, storedAt: Date): StoredMessage {
  return { ...m, sequence_number: sequence, stored_at: storedAt.toISOString() };
}
