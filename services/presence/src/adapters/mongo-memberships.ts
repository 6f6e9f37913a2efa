import type { Collection, Db } from 'mongodb';
import { Collections, type SequenceSlots } from '@hub/messages';
import { type MembershipDoc } from '@hub/messages/adapters';
import type { Membership, Memberships } from '../ports/memberships';

/**
 * Adapter: Memberships on the pipeline's `memberships` and `sequence_slots`
 * collections. Advances are coalesced per member and conversation and
 * written every `flushMs` (acks come per message; the test server applies
 * updates one document at a time, so one `$max` per conversation and
 * flush instead of one per message). A crash loses at most the last flush
 * interval of progress, which only means re-sending those messages.
 */
export class MongoMemberships implements Memberships {
  private readonly memberships: Collection<MembershipDoc>;
  private pending = new Map<
    string,
    { delivered_seq: number; read_seq: number; waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> }
  >();
  private timer?: NodeJS.Timeout;

  constructor(
    db: Db,
    private readonly slots: SequenceSlots,
    private readonly flushMs = 100,
  ) {
    this.memberships = db.collection<MembershipDoc>(Collections.memberships);
  }

  async of(user: string): Promise<Membership[]> {
    const docs = await this.memberships.find({ username: user }).toArray();
    return Promise.all(docs.map(async (m) => this.withEnd(m)));
  }

  async get(user: string, conversationId: string): Promise<Membership | undefined> {
    const doc = await this.memberships.findOne({ _id: `${conversationId}|${user}` });
    return doc ? this.withEnd(doc) : undefined;
  }

  advance(user: string, conversationId: string, to: { delivered_seq?: number; read_seq?: number }): Promise<void> {
    const id = `${conversationId}|${user}`;
    let entry = this.pending.get(id);
    if (!entry) this.pending.set(id, (entry = { delivered_seq: 0, read_seq: 0, waiters: [] }));
    entry.delivered_seq = Math.max(entry.delivered_seq, to.delivered_seq ?? 0, to.read_seq ?? 0);
    entry.read_seq = Math.max(entry.read_seq, to.read_seq ?? 0);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
    return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
  }

  /** Writes every coalesced advance now. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    await Promise.all(
      [...batch].map(async ([id, e]) => {
        try {
          await this.memberships.updateOne({ _id: id }, { $max: { delivered_seq: e.delivered_seq, read_seq: e.read_seq } });
          for (const w of e.waiters) w.resolve();
        } catch (err) {
          for (const w of e.waiters) w.reject(err as Error);
        }
      }),
    );
  }

  /**
   * The conversation's end is its last taken sequence slot, searched up
   * from what the member already has: one point read when they are up to
   * date, a few more per message they are behind (SequenceSlots.last).
   */
  private async withEnd(m: MembershipDoc): Promise<Membership> {
    const delivered = m.delivered_seq ?? 0;
    const read = m.read_seq ?? 0;
    // Numbers the member acknowledged or read are taken: the search starts there.
    return {
      conversation_id: m.conversation_id,
      delivered_seq: delivered,
      read_seq: read,
      last_seq: await this.slots.last(m.conversation_id, Math.max(delivered, read)),
    };
  }
}
