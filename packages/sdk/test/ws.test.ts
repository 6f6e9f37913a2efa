import { afterEach, describe, expect, it } from 'vitest';
import { HubSocket, HubSocketError, type WebSocketConstructor, type WebSocketEventLike } from '../src/index.js';

/** An in-memory socket standing in for the network in these unit tests of the client's state machine. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: { op: string; d?: any }[] = [];
  private listeners = new Map<string, ((e: WebSocketEventLike) => void)[]>();
  constructor(
    readonly url: string,
    _protocols?: unknown,
    readonly options?: { headers?: Record<string, string> },
  ) {
    FakeSocket.all.push(this);
  }
  addEventListener(type: string, l: (e: WebSocketEventLike) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l]);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    queueMicrotask(() => this.fire('close', { code, reason }));
  }
  // server side
  hello(user = 'bob') {
    this.readyState = 1;
    this.fire('open', {});
    this.frame({ op: 'hello', d: { heartbeat_interval: 30_000, node: 'n1', user } });
  }
  frame(f: unknown) {
    this.fire('message', { data: JSON.stringify(f) });
  }
  drop(code: number, reason = '') {
    this.readyState = 3;
    this.fire('close', { code, reason });
  }
  ops() {
    return this.sent.map((f) => f.op);
  }
  private fire(type: string, e: WebSocketEventLike) {
    for (const l of this.listeners.get(type) ?? []) l(e);
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const last = () => FakeSocket.all.at(-1)!;
const msg = (id: string, seq: number, from = 'alice') => ({
  op: 'message',
  d: { message_id: id, conversation_id: 'c1', sequence_number: seq, from, payload: { type: 'text', text: id }, created_at: 'now' },
});

function socket(extra: Partial<ConstructorParameters<typeof HubSocket>[0]> = {}) {
  const tokens = ['t1', 't2', 't3'];
  let current = 0;
  const renewed: string[] = [];
  const s = new HubSocket({
    url: 'ws://hub.test/v1/ws',
    WebSocket: FakeSocket as unknown as WebSocketConstructor,
    auth: { getAccessToken: async () => tokens[current], renewAccessToken: async (t) => (renewed.push(t), tokens[++current]) },
    reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
    ...extra,
  });
  return { s, renewed };
}

afterEach(() => {
  FakeSocket.all = [];
});

describe('HubSocket', () => {
  it('sends the token in the Authorization header with an injected constructor, in the query otherwise', async () => {
    const { s } = socket();
    s.connect();
    await tick();
    expect(last().options?.headers).toEqual({ authorization: 'Bearer t1' });
    expect(last().url).toBe('ws://hub.test/v1/ws');
    s.close();
    const q = socket({ tokenIn: 'query' }).s;
    q.connect();
    await tick();
    expect(last().url).toBe('ws://hub.test/v1/ws?access_token=t1');
    q.close();
  });

  it('holds sends until hello, resolves on accepted and rejects on an error for its client_msg_id', async () => {
    const { s } = socket({
      newId: (() => {
        let i = 0;
        return () => `id${++i}`;
      })(),
    });
    s.connect();
    const first = s.send('c1', { type: 'text', text: 'a' });
    const second = s.send('c1', { type: 'text', text: 'b' });
    await tick();
    expect(last().sent).toEqual([]);
    last().hello();
    expect(last().sent.map((f) => [f.op, f.d.client_msg_id])).toEqual([
      ['send', 'id1'],
      ['send', 'id2'],
    ]);
    last().frame({ op: 'accepted', d: { client_msg_id: 'id1', message_id: 'm1' } });
    last().frame({ op: 'error', d: { code: 'not_member', message: 'no', client_msg_id: 'id2' } });
    await expect(first).resolves.toEqual({ client_msg_id: 'id1', message_id: 'm1' });
    const err = await second.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubSocketError);
    expect((err as HubSocketError).code).toBe('not_member');
    s.close();
  });

  it('acks each new message, drops repeats (re-acking them) and resumes from the acked position after a drop', async () => {
    const { s } = socket();
    const got: string[] = [];
    s.on('message', (m) => got.push(m.message_id));
    s.connect();
    await tick();
    last().hello();
    last().frame(msg('a', 1));
    last().frame(msg('b', 2));
    last().frame(msg('a', 1));
    last().frame(msg('own', 3, 'bob'));
    expect(got).toEqual(['a', 'b', 'own']);
    expect(last().sent).toEqual([
      { op: 'ack', d: { message_id: 'a' } },
      { op: 'ack', d: { message_id: 'b' } },
      { op: 'ack', d: { message_id: 'a' } },
    ]);
    const pending = s.send('c1', { type: 'text', text: 'unanswered' }, { clientMsgId: 'keep' });

    last().drop(1001, 'node shutting down');
    await tick(20);
    expect(FakeSocket.all).toHaveLength(2);
    last().hello();
    // Resume first, then the unanswered send again under the same client_msg_id.
    expect(last().sent).toEqual([
      { op: 'resume', d: { conversations: { c1: 3 } } },
      { op: 'send', d: { client_msg_id: 'keep', conversation_id: 'c1', payload: { type: 'text', text: 'unanswered' } } },
    ]);
    last().frame(msg('b', 2));
    last().frame(msg('c', 4));
    expect(got).toEqual(['a', 'b', 'own', 'c']);
    last().frame({ op: 'accepted', d: { client_msg_id: 'keep', message_id: 'm9' } });
    await expect(pending).resolves.toMatchObject({ message_id: 'm9' });
    s.close();
  });

  it('with autoAck off, acks only what the application acknowledges', async () => {
    const { s } = socket({ autoAck: false });
    s.on('message', (m) => m.sequence_number === 1 && s.ack(m));
    s.connect();
    await tick();
    last().hello();
    last().frame(msg('a', 1));
    last().frame(msg('b', 2));
    expect(last().sent).toEqual([{ op: 'ack', d: { message_id: 'a' } }]);
    expect(s.positions()).toEqual({ c1: 1 });
    s.close();
  });

  it('renews the token and reconnects at once after 4010', async () => {
    const { s, renewed } = socket();
    s.connect();
    await tick();
    last().hello();
    last().drop(4010, 'token expired');
    await tick(10);
    expect(renewed).toEqual(['t1']);
    expect(last().options?.headers).toEqual({ authorization: 'Bearer t2' });
    s.close();
  });

  it('stops after 4001 (session revoked) and fails waiting sends', async () => {
    const { s } = socket();
    const closes: boolean[] = [];
    s.on('close', (c) => closes.push(c.willReconnect));
    s.connect();
    await tick();
    last().hello();
    const pending = s.send('c1', { type: 'text', text: 'x' }).catch((e: unknown) => e);
    last().drop(4001, 'revoked');
    await tick(20);
    expect(FakeSocket.all).toHaveLength(1);
    expect(s.state).toBe('closed');
    expect(closes).toEqual([false]);
    expect(await pending).toMatchObject({ name: 'HubSocketError', code: 'auth' });
    await expect(s.send('c1', { type: 'text', text: 'after' })).rejects.toMatchObject({ code: 'closed' });
  });

  it('fails waiting sends after 1009 (frame too large) instead of resending them forever, and reconnects', async () => {
    const { s } = socket();
    s.connect();
    await tick();
    last().hello();
    const pending = s.send('c1', { type: 'text', text: 'x'.repeat(10) }).catch((e: unknown) => e);
    last().drop(1009, 'too big');
    expect(await pending).toMatchObject({ code: 'closed' });
    await tick(20);
    last().hello();
    expect(last().sent).toEqual([]);
    s.close();
  });

  it('backs off between failed connection attempts and renews the token after two failures before hello', async () => {
    const { s, renewed } = socket();
    const waits: number[] = [];
    s.on('reconnecting', (r) => waits.push(r.attempt));
    s.connect();
    await tick();
    last().drop(1006);
    await tick(20);
    last().drop(1006);
    await tick(20);
    last().drop(1006);
    await tick(20);
    expect(waits).toEqual([1, 2, 3]);
    // Once per streak: a node that is down is not a reason to rotate the refresh token on every attempt.
    expect(renewed).toEqual(['t1']);
    expect(FakeSocket.all).toHaveLength(4);
    s.close();
  });
});
