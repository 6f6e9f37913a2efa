import { SendMessageRequestSchema, type Conversation, type MessageEvent, type Principal, type StoredMessage } from '@hub/domain';
import { ProblemError, Registry, type OutgoingEvent } from '@hub/platform';
import { describe, expect, it } from 'vitest';
import { InMemoryMessageIdClaims, type MessageIdClaims } from '../ports/message-id-claims';
import { MessageAccept } from './accept-message';

// The accept path's id decisions over in-memory ports; the real wiring (Redis claims, Kafka, the router) is proven by services/presence/test/message-ids.int.test.ts.
const convAC: Conversation = {
  conversation_id: '0190a0a0-0000-7000-8000-00000000000a',
  type: 'direct',
  members: ['alice', 'carol'],
  created_at: '2026-01-01T00:00:00Z',
  created_by: 'user:alice',
};
const convBC: Conversation = {
  conversation_id: '0190a0a0-0000-7000-8000-00000000000b',
  type: 'direct',
  members: ['bob', 'carol'],
  created_at: '2026-01-01T00:00:00Z',
  created_by: 'user:bob',
};
const id = '0190a0a0-0000-7000-8000-0000000000ff';
const user = (subject: string): Principal => ({ kind: 'user', subject, sessionId: 's', scopes: ['messages:send'] });

/** The message store as the router leaves it: what was published, stored by id (first one wins). */
class StoredMessages {
  readonly byId = new Map<string, StoredMessage>();
  reads = 0;
  down = false;

  get(id: string): Promise<StoredMessage | undefined> {
    this.reads++;
    return this.down ? Promise.reject(new Error('connection refused')) : Promise.resolve(this.byId.get(id));
  }

  storeAll(published: OutgoingEvent[]): void {
    for (const e of published) {
      const m = e.envelope.payload as MessageEvent;
      if (!this.byId.has(m.message_id))
        this.byId.set(m.message_id, { ...m, sequence_number: this.byId.size + 1, stored_at: m.accepted_at });
    }
  }
}

function setup(claims: MessageIdClaims = new InMemoryMessageIdClaims(), messages = new StoredMessages()) {
  const published: OutgoingEvent[] = [];
  const accept = new MessageAccept({
    conversations: { get: (cid) => Promise.resolve([convAC, convBC].find((c) => c.conversation_id === cid)) },
    publisher: {
      publish: (e) => Promise.resolve(void published.push(e)),
      publishMany: (es) => Promise.resolve(void published.push(...es)),
    },
    claims,
    messages,
    registry: new Registry(),
    retryAfterS: 3,
  });
  const send = (from: string, conv: Conversation, text: string, extra: { message_id?: string; idempotencyKey?: string } = {}) =>
    accept.accept({
      origin: { kind: 'principal', principal: user(from) },
      request: SendMessageRequestSchema.parse({
        ...(extra.message_id ? { message_id: extra.message_id } : {}),
        conversation_id: conv.conversation_id,
        from,
        payload: { type: 'text', text },
      }),
      source: 'api',
      ...(extra.idempotencyKey ? { idempotencyKey: extra.idempotencyKey } : {}),
    });
  return { send, published, messages };
}

async function problemOf(p: Promise<unknown>): Promise<ProblemError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProblemError);
  return err as ProblemError;
}

describe('MessageAccept and client-chosen ids', () => {
  it('refuses an id another caller used with 409 naming message_id, and publishes nothing for it', async () => {
    const { send, published } = setup();
    await send('bob', convBC, 'first', { message_id: id });
    const p = await problemOf(send('alice', convAC, 'second', { message_id: id }));
    expect(p.status).toBe(409);
    expect(p.options.errors).toEqual([expect.objectContaining({ field: 'message_id' })]);
    expect(published).toHaveLength(1);
  });

  it("accepts the same caller's repeat with the same id, and refuses a different body under it with 422", async () => {
    const { send, published } = setup();
    expect((await send('alice', convAC, 'hi', { message_id: id })).message_id).toBe(id);
    expect((await send('alice', convAC, 'hi', { message_id: id })).message_id).toBe(id);
    const p = await problemOf(send('alice', convAC, 'changed', { message_id: id }));
    expect(p.status).toBe(422);
    expect(p.options.errors).toEqual([expect.objectContaining({ field: 'message_id' })]);
    const k = await problemOf(
      (await send('alice', convAC, 'keyed', { idempotencyKey: 'k-1' }),
      send('alice', convAC, 'keyed differently', { idempotencyKey: 'k-1' })),
    );
    expect(k.options.errors).toEqual([expect.objectContaining({ field: 'header.Idempotency-Key' })]);
    expect(published).toHaveLength(3);
  });

  it('answers 503 with Retry-After, publishing nothing, when the claim store is unavailable; server-made ids need no claim', async () => {
    const down: MessageIdClaims = {
      claim: () => Promise.reject(new Error('connection refused')),
      hold: () => Promise.reject(new Error('connection refused')),
    };
    const { send, published } = setup(down);
    const p = await problemOf(send('alice', convAC, 'hi', { message_id: id }));
    expect(p.status).toBe(503);
    expect(p.options.headers).toEqual({ 'Retry-After': '3' });
    expect(published).toHaveLength(0);
    expect((await send('alice', convAC, 'no id')).message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(published).toHaveLength(1);
  });

  it('a new claim over an id already stored (its claim expired or lost) is decided by the stored message: 409 for another caller, the repeat for its owner, 422 for other content', async () => {
    const claims = new InMemoryMessageIdClaims();
    const { send, published, messages } = setup(claims);
    await send('bob', convBC, 'bob first', { message_id: id });
    messages.storeAll(published);
    claims.forget(id);

    const p = await problemOf(send('alice', convAC, 'alice later', { message_id: id }));
    expect(p.status).toBe(409);
    expect(p.options.errors).toEqual([expect.objectContaining({ field: 'message_id' })]);
    expect(published).toHaveLength(1);
    // The claim is bob's again: alice's next try is refused without reading the store.
    const reads = messages.reads;
    expect((await problemOf(send('alice', convAC, 'alice again', { message_id: id }))).status).toBe(409);
    expect(messages.reads).toBe(reads);

    expect(await send('bob', convBC, 'bob first', { message_id: id })).toMatchObject({ message_id: id });
    expect((await problemOf(send('bob', convBC, 'bob changed', { message_id: id }))).status).toBe(422);
    claims.forget(id);
    expect((await problemOf(send('bob', convBC, 'bob changed', { message_id: id }))).status).toBe(422);
    // The changed body did not take the claim over: the original still repeats.
    expect(await send('bob', convBC, 'bob first', { message_id: id })).toMatchObject({ message_id: id });
    expect(published.map((e) => (e.envelope.payload as MessageEvent).payload)).toEqual([
      { type: 'text', text: 'bob first' },
      { type: 'text', text: 'bob first' },
      { type: 'text', text: 'bob first' },
    ]);
  });

  it("the owner's retry is not refused by another caller's new claim standing over its expired one", async () => {
    const claims = new InMemoryMessageIdClaims();
    const { send, published, messages } = setup(claims);
    await send('bob', convBC, 'bob first', { message_id: id });
    messages.storeAll(published);
    // alice's new claim, as it stands while her store check is still under way.
    claims.forget(id);
    await claims.claim(id, { caller: 'user:alice', fingerprint: 'alice-request' });
    expect(await send('bob', convBC, 'bob first', { message_id: id })).toMatchObject({ message_id: id });
    expect((await problemOf(send('alice', convAC, 'alice later', { message_id: id }))).status).toBe(409);
  });

  it('answers 503 with Retry-After, publishing nothing, when the message store cannot be read; the retry reads it again', async () => {
    const claims = new InMemoryMessageIdClaims();
    const { send, published, messages } = setup(claims);
    await send('bob', convBC, 'bob first', { message_id: id });
    messages.storeAll(published);
    claims.forget(id);
    messages.down = true;
    const p = await problemOf(send('alice', convAC, 'alice later', { message_id: id }));
    expect(p.status).toBe(503);
    expect(p.options.headers).toEqual({ 'Retry-After': '3' });
    expect(published).toHaveLength(1);
    messages.down = false;
    // Alice's claim was left in place; her retry is a repeat, checked against the store, not a 202.
    expect((await problemOf(send('alice', convAC, 'alice later', { message_id: id }))).status).toBe(409);
    expect(published).toHaveLength(1);
  });

  it('reads the store only for client-chosen ids', async () => {
    const { send, messages } = setup();
    await send('alice', convAC, 'no id');
    await send('alice', convAC, 'no id either');
    expect(messages.reads).toBe(0);
    await send('alice', convAC, 'mine', { message_id: id });
    expect(messages.reads).toBe(1);
  });
});
