import type { Collection, Db } from 'mongodb';
import type { ExternalChannel, StoredMessage } from '@hub/domain';
import { claimByInsert, eachLimited, isDuplicateKeyError, writeErrorIndexes, type IndexPlan } from '@hub/platform';
import type { OutboundLedger, FinishInput, LaneTail, LedgerEntry, ScheduleInput } from '../ports/outbound-ledger';
import { deliveryId, laneOf } from '../records';

type OpenDoc = Omit<LedgerEntry, 'delivery_id'> & { _id: string };
type OutcomeDoc = OpenDoc;
type ClaimDoc = { _id: string; delivery_id: string; at: Date };
type LaneDoc = { _id: string; tail: string; seq: number };
type NextDoc = { _id: string; next: string };
type ReplyDoc = { _id: string; conversation_id: string; message_id: string; at: Date };

/** Open (scheduled) deliveries only: small, so the sweeper's scan stays cheap. */
export const DELIVERIES_COLLECTION = 'deliveries';
/** Ended deliveries (delivered or failed), by delivery id. */
export const DELIVERY_OUTCOMES_COLLECTION = 'delivery_outcomes';
/** Per lane, its newest delivery that was scheduled on the routing path. */
export const DELIVERY_LANES_COLLECTION = 'delivery_lanes';
/** Per delivery, the one queued right behind it in its lane. */
export const DELIVERY_NEXT_COLLECTION = 'delivery_next';
export const DELIVERY_CLAIMS_COLLECTION = 'delivery_claims';
/** What a recipient replies to on a channel: by provider message id, and their latest. */
export const DELIVERY_REPLIES_COLLECTION = 'delivery_replies';

/** Every ledger read is by _id; only the open collection is ever scanned (by the sweeper). */
export const outboundLedgerIndexes: IndexPlan = {};

/** How many key lookups run at once for a routing batch. */
const LOOKUP_CONCURRENCY = 16;

/**
 * Adapter: OutboundLedger on MongoDB, with every read by `_id`: the
 * MongoDB-compatible server used in development (FerretDB 1.x) answers
 * only `_id` equality without scanning, so lanes are kept as linked
 * documents (lane → tail, delivery → next) instead of range queries.
 *
 * Who may act on a schedule is decided by inserting a claim document with a
 * unique _id (one per schedule id), not by a conditional update: FerretDB
 * does not apply `updateOne`/`findOneAndUpdate` filters atomically under
 * concurrency (measured: concurrent conditional updates of one document
 * often all "win"), while unique-key inserts are atomic on it as on
 * MongoDB. Other writes to an entry are made only by the holder of its
 * current claim, and a lane's documents only by the routing path, which
 * handles a conversation's messages one at a time.
 */
export class MongoOutboundLedger implements OutboundLedger {
  private readonly open: Collection<OpenDoc>;
  private readonly outcomes: Collection<OutcomeDoc>;
  private readonly lanes: Collection<LaneDoc>;
  private readonly nexts: Collection<NextDoc>;
  private readonly claims: Collection<ClaimDoc>;
  private readonly replies: Collection<ReplyDoc>;

  constructor(
    db: Db,
    /** Channels whose users can answer through a bridge: only their deliveries are remembered for replies. */
    private readonly replyChannels: readonly ExternalChannel[] = ['telegram'],
  ) {
    this.open = db.collection<OpenDoc>(DELIVERIES_COLLECTION);
    this.outcomes = db.collection<OutcomeDoc>(DELIVERY_OUTCOMES_COLLECTION);
    this.lanes = db.collection<LaneDoc>(DELIVERY_LANES_COLLECTION);
    this.nexts = db.collection<NextDoc>(DELIVERY_NEXT_COLLECTION);
    this.claims = db.collection<ClaimDoc>(DELIVERY_CLAIMS_COLLECTION);
    this.replies = db.collection<ReplyDoc>(DELIVERY_REPLIES_COLLECTION);
  }

  async startFirstTries(
    deliveryIds: string[],
    lanes: string[],
  ): Promise<{ byId: Map<string, LedgerEntry>; openTails: Map<string, LaneTail> }> {
    const byId = new Map<string, LedgerEntry>();
    const openTails = new Map<string, LaneTail>();
    // One insert for the whole batch; only deliveries whose marker already
    // existed (tried before a crash) cost a lookup.
    const triedBefore = await this.markFirstTries(deliveryIds);
    await Promise.all([
      eachLimited(triedBefore, LOOKUP_CONCURRENCY, async (id) => {
        const entry = await this.get(id, { withMessage: false });
        if (entry) byId.set(id, entry);
      }),
      eachLimited(lanes, LOOKUP_CONCURRENCY, async (lane) => {
        const doc = await this.lanes.findOne({ _id: lane });
        if (doc && (await this.isOpen(doc.tail))) openTails.set(lane, { delivery_id: doc.tail, seq: doc.seq });
      }),
    ]);
    return { byId, openTails };
  }

  /** Inserts a `<delivery_id>|first` claim per delivery; resolves with the ids whose claim was there already. */
  private async markFirstTries(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const at = new Date();
    try {
      await this.claims.insertMany(
        ids.map((id) => ({ _id: `${id}|first`, delivery_id: id, at })),
        { ordered: false },
      );
      return [];
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const failed = writeErrorIndexes(err);
      // Without per-document errors, treat all as possibly tried before (safe, only slower).
      return failed.length > 0 ? failed.map((i) => ids[i]!).filter(Boolean) : ids;
    }
  }

  async schedule(input: ScheduleInput): Promise<void> {
    const { message, recipient, channel } = input;
    const id = deliveryId(message.message_id, recipient, channel);
    const fields = {
      state: 'scheduled' as const,
      attempts: input.attempts,
      next_attempt: input.next_attempt,
      schedule_id: input.schedule_id,
      next_at: input.next_at,
      message,
      queued: input.queued === true,
      updated_at: new Date(),
      ...(input.prev !== undefined ? { prev: input.prev } : {}),
      ...(input.last_error !== undefined ? { last_error: input.last_error } : {}),
    };
    const insert = () =>
      claimByInsert(() =>
        this.open.insertOne({ _id: id, ...base(message, recipient, channel, input.first_attempt_at), generation: 0, ...fields }),
      );
    let written = input.fresh ? await insert() : false;
    if (!written) {
      const current = await this.open.findOne({ _id: id }, { projection: { schedule_id: 1 } });
      if (current) {
        await this.open.updateOne({ _id: id }, { $set: fields });
        await this.claims.deleteOne({ _id: `${id}|${current.schedule_id}` });
        written = true;
      } else if (!(await this.outcomes.findOne({ _id: id }, { projection: { _id: 1 } }))) {
        written = await insert();
      }
    }
    // Ended already (delivered or failed): it stays ended.
    if (!written) return;
    const prev = input.prev;
    if (prev !== undefined) await claimByInsert(() => this.nexts.insertOne({ _id: prev, next: id }));
    if (input.fresh)
      await this.lanes.replaceOne(
        { _id: laneOf(message.conversation_id, recipient, channel) },
        { tail: id, seq: message.sequence_number },
        { upsert: true },
      );
  }

  async isOpen(id: string): Promise<boolean> {
    return (await this.open.findOne({ _id: id }, { projection: { _id: 1 } })) !== null;
  }

  async nextAfter(id: string): Promise<LedgerEntry | undefined> {
    const link = await this.nexts.findOne({ _id: id });
    if (!link) return undefined;
    const doc = await this.open.findOne({ _id: link.next });
    return doc ? toEntry(doc) : undefined;
  }

  async claim(id: string, scheduleId: string, holdMs: number): Promise<LedgerEntry | undefined> {
    const doc = await this.open.findOne({ _id: id });
    if (!doc || doc.schedule_id !== scheduleId) return undefined;
    if (!(await claimByInsert(() => this.claims.insertOne({ _id: `${id}|${scheduleId}`, delivery_id: id, at: new Date() }))))
      return undefined;
    const nextAt = new Date(Date.now() + holdMs);
    await this.open.updateOne({ _id: id }, { $set: { next_at: nextAt, updated_at: new Date() } });
    return toEntry({ ...doc, next_at: nextAt });
  }

  async finish(
    entries: Array<{ message: StoredMessage; recipient: string; channel: ExternalChannel; first_attempt_at: Date } & FinishInput>,
    opts: { fresh?: boolean } = {},
  ): Promise<void> {
    const now = new Date();
    const outcomes: OutcomeDoc[] = [];
    await eachLimited(entries, LOOKUP_CONCURRENCY, async (e) => {
      const id = deliveryId(e.message.message_id, e.recipient, e.channel);
      const open = opts.fresh ? null : await this.open.findOne({ _id: id }, { projection: { message: 0 } });
      const outcome: OutcomeDoc = {
        _id: id,
        ...base(e.message, e.recipient, e.channel, open?.first_attempt_at ?? e.first_attempt_at),
        state: e.state,
        attempts: e.attempts,
        next_attempt: e.attempts,
        schedule_id: '',
        next_at: now,
        generation: open?.generation ?? 0,
        updated_at: now,
        ...(open?.prev !== undefined ? { prev: open.prev } : {}),
        ...(e.external_id !== undefined ? { external_id: e.external_id } : {}),
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
        ...(e.last_error !== undefined ? { last_error: e.last_error } : {}),
        // A failed delivery keeps its message: a dead-letter replay needs it.
        ...(e.state === 'failed' ? { message: e.message } : {}),
      };
      if (opts.fresh) {
        outcomes.push(outcome);
        return;
      }
      await this.outcomes.replaceOne({ _id: id }, outcome, { upsert: true });
      if (open) {
        await this.open.deleteOne({ _id: id });
        await this.claims.deleteOne({ _id: `${id}|${open.schedule_id}` });
      }
    });
    // A re-run of routing finds the first run's outcome and keeps it.
    if (outcomes.length > 0) await claimByInsert(() => this.outcomes.insertMany(outcomes, { ordered: false }));
    await this.rememberReplies(
      entries.filter((e) => e.state === 'delivered' && this.replyChannels.includes(e.channel)),
      now,
    );
  }

  async overdue(now: Date, graceMs: number, limit: number): Promise<LedgerEntry[]> {
    const docs = await this.open
      .find({ next_at: { $lt: new Date(now.getTime() - graceMs) } })
      .limit(limit)
      .toArray();
    return docs.map(toEntry);
  }

  async resweep(id: string, seenNextAt: Date, scheduleId: string, nextAt: Date): Promise<boolean> {
    const doc = await this.open.findOne({ _id: id }, { projection: { next_at: 1, schedule_id: 1 } });
    if (!doc || doc.next_at.getTime() !== seenNextAt.getTime()) return false;
    if (
      !(await claimByInsert(() =>
        this.claims.insertOne({ _id: `${id}|sweep|${doc.schedule_id}|${seenNextAt.getTime()}`, delivery_id: id, at: new Date() }),
      ))
    )
      return false;
    await this.open.updateOne({ _id: id }, { $set: { schedule_id: scheduleId, next_at: nextAt, updated_at: new Date() } });
    return true;
  }

  /** Called only by the caller that won the dead letter's replay mark, so plain reads and writes are safe. */
  async reopen(id: string, message: StoredMessage, scheduleId: string, nextAt: Date): Promise<LedgerEntry | undefined> {
    const ended = await this.outcomes.findOne({ _id: id });
    if (!ended || ended.state !== 'failed') return undefined;
    const reopened: OpenDoc = {
      ...base(message, ended.recipient, ended.channel, nextAt),
      _id: id,
      state: 'scheduled',
      attempts: 0,
      next_attempt: 1,
      schedule_id: scheduleId,
      next_at: nextAt,
      generation: ended.generation + 1,
      message,
      updated_at: new Date(),
    };
    if (!(await claimByInsert(() => this.open.insertOne(reopened)))) return undefined;
    return toEntry(reopened);
  }

  async get(id: string, opts: { withMessage?: boolean } = {}): Promise<LedgerEntry | undefined> {
    const projection = opts.withMessage === false ? { message: 0 as const } : {};
    const doc = (await this.open.findOne({ _id: id }, { projection })) ?? (await this.outcomes.findOne({ _id: id }, { projection }));
    return doc ? toEntry(doc) : undefined;
  }

  async lastDeliveredTo(
    recipient: string,
    channel: ExternalChannel,
    externalId?: string,
  ): Promise<{ conversation_id: string; message_id: string } | undefined> {
    const doc = await this.replies.findOne({ _id: replyKey(channel, recipient, externalId ?? '') });
    return doc ? { conversation_id: doc.conversation_id, message_id: doc.message_id } : undefined;
  }

  private async rememberReplies(
    delivered: Array<{ message: StoredMessage; recipient: string; channel: ExternalChannel; external_id?: string }>,
    at: Date,
  ): Promise<void> {
    if (delivered.length === 0) return;
    const byId = delivered
      .filter((d) => d.external_id !== undefined)
      .map((d) => ({
        _id: replyKey(d.channel, d.recipient, d.external_id!),
        conversation_id: d.message.conversation_id,
        message_id: d.message.message_id,
        at,
      }));
    if (byId.length > 0) await claimByInsert(() => this.replies.insertMany(byId, { ordered: false }));
    const latest = new Map<string, ReplyDoc>();
    for (const d of delivered)
      latest.set(replyKey(d.channel, d.recipient, ''), {
        _id: replyKey(d.channel, d.recipient, ''),
        conversation_id: d.message.conversation_id,
        message_id: d.message.message_id,
        at,
      });
    await eachLimited([...latest.values()], LOOKUP_CONCURRENCY, (doc) =>
      this.replies.replaceOne({ _id: doc._id }, doc, { upsert: true }).then(() => undefined),
    );
  }
}

/** `channel|recipient|external id`; an empty external id names the recipient's latest delivery. */
function replyKey(channel: ExternalChannel, recipient: string, externalId: string): string {
  return `${channel}|${recipient}|${externalId === '' ? '~latest' : externalId}`;
}

function base(message: StoredMessage, recipient: string, channel: ExternalChannel, firstAttemptAt: Date) {
  return {
    lane: laneOf(message.conversation_id, recipient, channel),
    seq: message.sequence_number,
    message_id: message.message_id,
    conversation_id: message.conversation_id,
    recipient,
    channel,
    first_attempt_at: firstAttemptAt,
  };
}

function toEntry(doc: OpenDoc): LedgerEntry {
  const { _id, ...rest } = doc;
  return { delivery_id: _id, ...rest };
}
