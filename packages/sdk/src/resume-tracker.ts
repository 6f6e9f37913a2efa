/** The fields of a `message` frame the tracker needs. */
export interface TrackedMessage {
  message_id: string;
  conversation_id: string;
  sequence_number: number;
}

/**
 * What a WebSocket client has received and acknowledged: de-duplication
 * by message_id and the per-conversation resume positions. No I/O, so the
 * rules are unit-tested without a server.
 *
 * A message counts as a duplicate when its id was seen (bounded memory:
 * the oldest ids are forgotten first) or when its sequence is not above the
 * acknowledged position of its conversation: messages come in sequence
 * order and are acknowledged in order, so anything at or below the
 * position was handed to the application already (this also covers ids
 * forgotten, and positions restored from storage in a new process).
 */
export class ResumeTracker {
  private readonly seen = new Map<string, { acked: boolean }>();
  private readonly acked = new Map<string, number>();

  constructor(
    private readonly capacity = 10_000,
    initialPositions: Record<string, number> = {},
  ) {
    for (const [conversation, seq] of Object.entries(initialPositions))
      if (Number.isSafeInteger(seq) && seq >= 0) this.acked.set(conversation, seq);
  }

  /** True the first time a message is seen; false for a repeat. */
  receive(m: TrackedMessage): boolean {
    if (this.seen.has(m.message_id)) return false;
    if (m.sequence_number <= (this.acked.get(m.conversation_id) ?? 0)) return false;
    this.seen.set(m.message_id, { acked: false });
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  /** Records that the application acknowledged the message: its conversation's position moves up to it (never down). */
  markAcked(m: TrackedMessage): void {
    const entry = this.seen.get(m.message_id);
    if (entry) entry.acked = true;
    if (m.sequence_number > (this.acked.get(m.conversation_id) ?? 0)) this.acked.set(m.conversation_id, m.sequence_number);
  }

  /** Whether a repeat of this message was acknowledged before (its ack may have been lost with the connection: send it again). */
  wasAcked(m: TrackedMessage): boolean {
    return this.seen.get(m.message_id)?.acked === true || m.sequence_number <= (this.acked.get(m.conversation_id) ?? 0);
  }

  /** Per conversation, the highest acknowledged sequence: what `resume` sends, and what an application may persist. */
  positions(): Record<string, number> {
    return Object.fromEntries(this.acked);
  }
}
