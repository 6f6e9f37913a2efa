import { SendMessageRequestSchema, type Conversation, type Principal } from '@hub/domain';
import { ProblemError, Registry, type OutgoingEvent } from '@hub/platform';
import { describe, expect, it } from 'vitest';
import { InMemoryMessageIdClaims, type MessageIdClaims } from '../ports/message-id-claims';
import { MessageAccept } from './accept-message';

// The accept path's id decisions over in-memory ports; the real wiring (Redis claims, Kafka, the router) is proven by services/presence/test/message-ids.int.test.ts.
const convAC: Conversation = { conversation_id: '0190a0a0-0000-7000-8000-00000000000a', type: 'direct', members: ['alice', 'carol'], created_at: '2026-01-01T00:00:00Z', created_by: 'user:alice' };
const convBC: Conversation = { conversation_id: '0190a0a0-0000-7000-8000-00000000000b', type: 'direct', members: ['bob', 'carol'], created_at: '2026-01-01T00:00:00Z', created_by: 'user:bob' };
const id = '0190a0a0-0000-7000-8000-0000000000ff';
const user = (subject: string): Principal => ({ kind: 'user', subject, sessionId: 's', scopes: ['messages:send'] });

function setup(claims: MessageIdClaims = new InMemoryMessageIdClaims()) {
  const published: OutgoingEvent[] = [];
  const accept = new MessageAccept({
    conversations: { get: (cid) => Promise.resolve([convAC, convBC].find((c) => c.conversation_id === cid)) },
    publisher: { publish: (e) => Promise.resolve(void published.push(e)), publishMany: (es) => Promise.resolve(void published.push(...es)) },
    claims,
    registry: new Registry(),
    retryAfterS: 3,
  });
  const send = (from: string, conv: Conversation, text: string, extra: { message_id?: string; idempotencyKey?: string } = {}) =>
    accept.accept({
      origin: { kind: 'principal', principal: user(from) },
      request: SendMessageRequestSchema.parse({ ...(extra.message_id ? { message_id: extra.message_id } : {}), conversation_id: conv.conversation_id, from, payload: { type: 'text', text } }),
      source: 'api',
      ...(extra.idempotencyKey ? { idempotencyKey: extra.idempotencyKey } : {}),
    });
  return { send, published };
}

async function problemOf(p: Promise<unknown>): Promise<ProblemError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
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

  it('accepts the same caller\'s repeat with the same id, and refuses a different body under it with 422', async () => {
    const { send, published } = setup();
    expect((await send('alice', convAC, 'hi', { message_id: id })).message_id).toBe(id);
    expect((await send('alice', convAC, 'hi', { message_id: id })).message_id).toBe(id);
    const p = await problemOf(send('alice', convAC, 'changed', { message_id: id }));
    expect(p.status).toBe(422);
    expect(p.options.errors).toEqual([expect.objectContaining({ field: 'message_id' })]);
    const k = await problemOf((await send('alice', convAC, 'keyed', { idempotencyKey: 'k-1' }), send('alice', convAC, 'keyed differently', { idempotencyKey: 'k-1' })));
    expect(k.options.errors).toEqual([expect.objectContaining({ field: 'header.Idempotency-Key' })]);
    expect(published).toHaveLength(3);
  });

  it('answers 503 with Retry-After, publishing nothing, when the claim store is unavailable; server-made ids need no claim', async () => {
    const down: MessageIdClaims = { claim: () => Promise.reject(new Error('connection refused')) };
    const { send, published } = setup(down);
    const p = await problemOf(send('alice', convAC, 'hi', { message_id: id }));
    expect(p.status).toBe(503);
    expect(p.options.headers).toEqual({ 'Retry-After': '3' });
    expect(published).toHaveLength(0);
    expect((await send('alice', convAC, 'no id')).message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(published).toHaveLength(1);
  });
});
