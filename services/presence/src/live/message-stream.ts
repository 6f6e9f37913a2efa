import type { StoredMessage } from '@hub/domain';
import type { MessageHistory } from '../ports/message-history';
import { messageFrame } from '@hub/push';
import type { MessageFrameData, ServerFrame } from '../ws/frames';

/** Where a stream writes: one connection. */
export interface FrameSink {
  readonly user: string;
  readonly closed: boolean;
  readonly bufferedAmount: number;
  send(frame: ServerFrame): boolean;
}

export interface MessageStreamDeps {
  history: MessageHistory;
  /** Where to start a conversation first seen live (the member's delivered_seq). */
  baseline(conversationId: string): Promise<number>;
  pageSize: number;
  /** Catch-up pauses between pages while more than this many bytes wait to be sent. */
  highWaterBytes: number;
}

interface ConversationState {
  /** Highest sequence this connection has been given (or decided to skip). */
  last: number | undefined;
  /** Catch-ups queued or running; live frames wait in `pending` meanwhile. */
  busy: number;
  pending: MessageFrameData[];
  chain: Promise<void>;
}

/** Messages a user's connection gets: those addressed to them on the internal channel, and their own (other devices). */
export function isForUser(m: StoredMessage, user: string): boolean {
  return m.from === user || (m.to.includes(user) && m.channels.includes('internal'));
}

/**
 * Ordered message delivery for one connection, per conversation: catch-up
 * from the store merged with live frames by sequence number, so the client
 * sees each conversation oldest first with no gap and no reordering.
 *
 * While a conversation catches up, its live frames are held; afterwards
 * they are released in sequence order, dropping those the catch-up already
 * sent. A live frame that skips ahead (a message this connection has not
 * seen, e.g. one sent before it connected, or the user's own from another
 * device) triggers a catch-up from the store instead of leaving a gap.
 */
export class MessageStream {
  private readonly conversations = new Map<string, ConversationState>();
  /** Live frames that arrived before `open()` (while the connection was being set up). */
  private held: MessageFrameData[] | undefined = [];

  constructor(
    private readonly sink: FrameSink,
    private readonly d: MessageStreamDeps,
  ) {}

  /** Sends everything after `afterSeq` in the conversation, then continues live from there. */
  catchUp(conversationId: string, afterSeq: number): Promise<void> {
    return this.schedule(conversationId, afterSeq);
  }

  /** Marks a conversation as up to date at `seq` without reading the store. */
  startAt(conversationId: string, seq: number): void {
    const st = this.state(conversationId);
    if (st.busy === 0 && st.last === undefined) st.last = seq;
  }

  /**
   * Ends set-up: from here live frames flow. Call after the initial
   * catch-ups are scheduled, so that frames held until now merge with them.
   */
  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const frame of held) this.live(frame);
  }

  /** A live `message` frame for this connection. */
  live(frame: MessageFrameData): void {
    if (this.held) {
      this.held.push(frame);
      return;
    }
    const st = this.state(frame.conversation_id);
    if (st.busy > 0) {
      st.pending.push(frame);
      return;
    }
    if (st.last === undefined || frame.sequence_number > st.last + 1) {
      st.pending.push(frame);
      // Fire-and-forget: the frame waits in `pending` and is released by the chain either way. A failed
      // gap-fill must not become an unhandled rejection (that stops the process); the client resumes on reconnect.
      this.schedule(frame.conversation_id).catch(() => {});
      return;
    }
    if (frame.sequence_number <= st.last) return;
    st.last = frame.sequence_number;
    this.sink.send({ op: 'message', d: frame });
  }

  private state(conversationId: string): ConversationState {
    let st = this.conversations.get(conversationId);
    if (!st) this.conversations.set(conversationId, (st = { last: undefined, busy: 0, pending: [], chain: Promise.resolve() }));
    return st;
  }

  private schedule(conversationId: string, from?: number): Promise<void> {
    const st = this.state(conversationId);
    st.busy += 1;
    const run = st.chain.then(async () => {
      if (from !== undefined) st.last = from;
      else if (st.last === undefined) st.last = await this.d.baseline(conversationId);
      await this.fill(conversationId, st);
    });
    st.chain = run
      .catch(() => {})
      .finally(() => {
        st.busy -= 1;
        if (st.busy === 0) this.release(st);
      });
    return run;
  }

  private async fill(conversationId: string, st: ConversationState): Promise<void> {
    for (;;) {
      if (this.sink.closed) return;
      const page = await this.d.history.after(conversationId, st.last ?? 0, this.d.pageSize);
      for (const m of page) {
        if (m.sequence_number <= (st.last ?? 0)) continue;
        st.last = m.sequence_number;
        if (isForUser(m, this.sink.user) && !this.sink.send({ op: 'message', d: messageFrame(m) })) return;
      }
      if (page.length < this.d.pageSize) return;
      while (this.sink.bufferedAmount > this.d.highWaterBytes && !this.sink.closed) await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Releases held live frames in order after a catch-up, dropping what it
   * already sent. One that still skips ahead is sent too: the catch-up has
   * read the store past every message stored before it, so what is missing
   * in between is not this user's to see.
   */
  private release(st: ConversationState): void {
    const held = st.pending.sort((a, b) => a.sequence_number - b.sequence_number);
    st.pending = [];
    for (const f of held) {
      if (f.sequence_number <= (st.last ?? 0)) continue;
      st.last = f.sequence_number;
      this.sink.send({ op: 'message', d: f });
    }
  }
}
