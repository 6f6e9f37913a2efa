import type { MessageEvent, StoredMessage } from '@hub/domain';
import type { SequenceState, Sighting } from '@hub/messages';
import type { ConsumedRecord } from '@hub/platform';
import type { DecodedRecord } from './message-records';
import type { ToNumber } from './sequence-allocator';

// The route handler's decisions, without I/O: which records are the same
// message seen again, which reuse an id that is another message's, which
// stored messages must be routed again, and which new messages are
// numbered and routed or dead-lettered. route-handler.ts does the I/O
// between them.

/** A record the route worker does not store: why (for the dead letter) and its metric label. */
export interface Refusal {
  record: ConsumedRecord;
  reason: string;
  label: 'unparseable' | 'invalid' | 'message_id_taken' | 'unknown_conversation' | 'not_a_member';
  messageId?: string;
}

/** A batch's records after decoding and dedup within it: one event per message_id, first record wins. */
export interface BatchMessages {
  /** The first event of each message_id, in batch order. */
  events: MessageEvent[];
  byId: Map<string, { event: MessageEvent; record: ConsumedRecord }>;
  /** Repeats of a message within the batch (same origin): dropped. */
  duplicates: number;
  refusals: Refusal[];
}

/** Decoded records, deduplicated within the batch (a re-send may sit next to its original). */
export function batchMessages(decoded: readonly DecodedRecord[]): BatchMessages {
  const out: BatchMessages = { events: [], byId: new Map(), duplicates: 0, refusals: [] };
  for (const d of decoded) {
    if (d.kind === 'poison') {
      out.refusals.push({
        record: d.record,
        reason: d.reason,
        label: d.record.poison ? 'unparseable' : 'invalid',
        ...(d.messageId ? { messageId: d.messageId } : {}),
      });
      continue;
    }
    const earlier = out.byId.get(d.event.message_id);
    if (earlier) {
      if (sameOrigin(earlier.event, d.event)) out.duplicates++;
      else out.refusals.push(idTaken(d.record, d.event));
      continue;
    }
    out.byId.set(d.event.message_id, { event: d.event, record: d.record });
    out.events.push(d.event);
  }
  return out;
}

/**
 * The batch's messages already stored: a message of the same origin is
 * this one seen again; one of another sender or conversation under the id
 * means this one was answered 202 (its accept-time claim had expired, or
 * was bypassed) and would otherwise vanish, so it is dead-lettered, visibly.
 */
export function splitStored(
  stored: ReadonlyMap<string, StoredMessage>,
  batch: BatchMessages,
): { again: StoredMessage[]; taken: Refusal[] } {
  const again: StoredMessage[] = [];
  const taken: Refusal[] = [];
  for (const m of stored.values()) {
    const mine = batch.byId.get(m.message_id)!;
    if (sameOrigin(m, mine.event)) again.push(m);
    else taken.push(idTaken(mine.record, mine.event));
  }
  return { again, taken };
}

/**
 * Stored messages seen again whose routing may be unfinished: first seen
 * at or after their partition's first offset in this batch, so an earlier
 * attempt at this batch stopped after the insert. First seen before it: a
 * re-send of a finished message, skipped.
 */
export function unfinishedRouting(
  again: readonly StoredMessage[],
  sightings: ReadonlyMap<string, Sighting>,
  firstOffsets: ReadonlyMap<number, string>,
  batch: BatchMessages,
): StoredMessage[] {
  return again.filter((m) => {
    const at = sightings.get(m.message_id);
    const first = at ? firstOffsets.get(at.partition) : undefined;
    return (
      at !== undefined &&
      first !== undefined &&
      batch.byId.get(m.message_id)?.record.partition === at.partition &&
      BigInt(at.offset) >= BigInt(first)
    );
  });
}

/**
 * New messages checked against their conversation: it must exist and the
 * sender and recipients be members. What passes is numbered (grouped by
 * conversation); the rest is dead-lettered.
 */
export function admitNew(
  fresh: readonly MessageEvent[],
  states: ReadonlyMap<string, SequenceState | undefined>,
  batch: BatchMessages,
  claimedBefore: ReadonlySet<string>,
): { byConversation: Map<string, ToNumber[]>; refusals: Refusal[] } {
  const byConversation = new Map<string, ToNumber[]>();
  const refusals: Refusal[] = [];
  for (const e of fresh) {
    const state = states.get(e.conversation_id);
    const record = batch.byId.get(e.message_id)!.record;
    if (!state) {
      refusals.push({
        record,
        reason: `conversation ${e.conversation_id} does not exist`,
        label: 'unknown_conversation',
        messageId: e.message_id,
      });
      continue;
    }
    const outsiders = [e.from, ...e.to].filter((u) => !state.members.includes(u));
    if (outsiders.length > 0) {
      refusals.push({
        record,
        reason: `not members of conversation ${e.conversation_id}: ${outsiders.join(', ')}`,
        label: 'not_a_member',
        messageId: e.message_id,
      });
      continue;
    }
    const item: ToNumber = { event: e, partition: record.partition, offset: record.offset, orphan: claimedBefore.has(e.message_id) };
    const list = byConversation.get(e.conversation_id);
    if (list) list.push(item);
    else byConversation.set(e.conversation_id, [item]);
  }
  return { byConversation, refusals };
}

/** Routing order: by conversation, then sequence number, so each conversation's hand-overs go in order. */
export function routingOrder(messages: StoredMessage[]): StoredMessage[] {
  return messages.sort((a, b) =>
    a.conversation_id === b.conversation_id ? a.sequence_number - b.sequence_number : a.conversation_id < b.conversation_id ? -1 : 1,
  );
}

/** Two records under one message_id are the same message (a re-send or redelivery) only from the same sender, caller and conversation. */
export function sameOrigin(a: MessageEvent, b: MessageEvent): boolean {
  // Records from before submitted_by existed carry none; conversation and sender still tell them apart.
  const callers = a.submitted_by === undefined || b.submitted_by === undefined || a.submitted_by === b.submitted_by;
  return a.conversation_id === b.conversation_id && a.from === b.from && callers;
}

function idTaken(record: ConsumedRecord, e: MessageEvent): Refusal {
  return {
    record,
    reason: `message_id ${e.message_id} is already used by a message of another sender or conversation; this one (from "${e.from}" in conversation ${e.conversation_id}) was not stored`,
    label: 'message_id_taken',
    messageId: e.message_id,
  };
}
