import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '@hub/domain';
import type { MessageHistory } from '../ports/message-history';
import type { ServerFrame } from '../ws/frames';
import { messageFrame } from '@hub/push';
import { MessageStream, type FrameSink } from './message-stream';

const CONV = '0190aaaa-0000-7000-8000-000000000001';

function msg(seq: number, from = 'bob', to = ['alice']): StoredMessage {
  return {
    message_id: `0190aaaa-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    conversation_id: CONV,
    from,
    to,
    channels: ['internal'],
    payload: { type: 'text', text: `m${seq}` },
    source: 'api',
    accepted_at: new Date(0).toISOString(),
    submitted_by: `user:${from}`,
    sequence_number: seq,
    stored_at: new Date(0).toISOString(),
  };
}

/** An in-memory history whose reads can be held open, to interleave live frames with a catch-up. */
class HeldHistory implements MessageHistory {
  readonly messages: StoredMessage[] = [];
  reads = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  releaseReads(): void {
    this.open();
  }
  async after(_c: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    this.reads += 1;
    const snapshot = this.messages.filter((m) => m.sequence_number > afterSeq).slice(0, limit);
    await this.gate;
    return snapshot;
  }
  async get(id: string): Promise<StoredMessage | undefined> {
    return this.messages.find((m) => m.message_id === id);
  }
}

function sink(user = 'alice'): FrameSink & { frames: ServerFrame[]; seqs(): number[] } {
  const frames: ServerFrame[] = [];
  return {
    user,
    closed: false,
    bufferedAmount: 0,
    frames,
    send(f) {
      frames.push(f);
      return true;
    },
    seqs: () => frames.filter((f) => f.op === 'message').map((f) => (f.d as { sequence_number: number }).sequence_number),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('message stream (catch-up merged with live)', () => {
  it('sends the backlog oldest first, then live frames that arrived during the catch-up, without gap or repeat', async () => {
    const history = new HeldHistory();
    for (let s = 1; s <= 200; s++) history.messages.push(msg(s));
    const out = sink();
    const stream = new MessageStream(out, { history, baseline: async () => 0, pageSize: 50, highWaterBytes: 1e9 });
    stream.open();
    history.hold();
    const done = stream.catchUp(CONV, 0);
    // Live messages arrive while the first page is being read: newer ones and one the catch-up will also send.
    history.messages.push(msg(201), msg(202));
    stream.live(messageFrame(msg(202)));
    stream.live(messageFrame(msg(150)));
    stream.live(messageFrame(msg(201)));
    expect(out.seqs()).toEqual([]);
    history.releaseReads();
    await done;
    await settle();
    expect(out.seqs()).toEqual(Array.from({ length: 202 }, (_, i) => i + 1));
    stream.live(messageFrame(msg(203)));
    stream.live(messageFrame(msg(203)));
    expect(out.seqs().slice(-2)).toEqual([202, 203]);
  });

  it('holds live frames that arrive during set-up and merges them with the initial catch-up', async () => {
    const history = new HeldHistory();
    for (let s = 1; s <= 3; s++) history.messages.push(msg(s));
    const out = sink();
    const stream = new MessageStream(out, { history, baseline: async () => 0, pageSize: 50, highWaterBytes: 1e9 });
    history.messages.push(msg(4));
    stream.live(messageFrame(msg(4)));
    stream.live(messageFrame(msg(2)));
    const done = stream.catchUp(CONV, 1);
    stream.open();
    await done;
    await settle();
    expect(out.seqs()).toEqual([2, 3, 4]);
    expect(history.reads).toBe(1);
  });

  it('fills a gap in the live stream from the store instead of skipping it', async () => {
    const history = new HeldHistory();
    for (let s = 1; s <= 8; s++) history.messages.push(msg(s));
    const out = sink();
    const stream = new MessageStream(out, { history, baseline: async () => 0, pageSize: 50, highWaterBytes: 1e9 });
    stream.open();
    stream.startAt(CONV, 5);
    stream.live(messageFrame(msg(8)));
    await settle();
    expect(out.seqs()).toEqual([6, 7, 8]);
  });

  it("skips messages that are not for the user but keeps their place, and includes the user's own", async () => {
    const history = new HeldHistory();
    history.messages.push(msg(1), msg(2, 'bob', ['carol']), msg(3, 'alice', ['bob']), msg(4));
    const out = sink();
    const stream = new MessageStream(out, { history, baseline: async () => 0, pageSize: 2, highWaterBytes: 1e9 });
    stream.open();
    await stream.catchUp(CONV, 0);
    await settle();
    expect(out.seqs()).toEqual([1, 3, 4]);
    stream.live(messageFrame(msg(5)));
    expect(out.seqs()).toEqual([1, 3, 4, 5]);
    expect(history.reads).toBe(3);
  });

  it("starts a conversation first seen live at the member's delivered sequence", async () => {
    const history = new HeldHistory();
    for (let s = 1; s <= 4; s++) history.messages.push(msg(s));
    const out = sink();
    const stream = new MessageStream(out, { history, baseline: async () => 2, pageSize: 50, highWaterBytes: 1e9 });
    stream.open();
    stream.live(messageFrame(msg(4)));
    await settle();
    expect(out.seqs()).toEqual([3, 4]);
  });

  it('re-sends from a resumed sequence even when it is behind what was sent', async () => {
    const history = new HeldHistory();
    for (let s = 1; s <= 5; s++) history.messages.push(msg(s));
    const out = sink();
    const stream = new MessageStream(out, { history, baseline: async () => 0, pageSize: 50, highWaterBytes: 1e9 });
    stream.open();
    await stream.catchUp(CONV, 0);
    await stream.catchUp(CONV, 3);
    await settle();
    expect(out.seqs()).toEqual([1, 2, 3, 4, 5, 4, 5]);
  });
});
