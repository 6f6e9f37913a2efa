import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApiClient, TestUser } from '../support/identity';
import { eventually } from '../support/spawn-service';
import { startPipeline, type Pipeline } from './harness';

let p: Pipeline;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let crm: TestApiClient;

beforeAll(async () => {
  p = await startPipeline({ routers: 1 });
  [alice, bob, carol] = await Promise.all([p.user(), p.user(), p.user()]);
  crm = await p.client(['messages:send', 'messages:read']);
});
afterAll(async () => {
  await p?.stop();
});

describe('conversations', () => {
  it('creates a direct conversation once per pair and lists only your own, a page at a time', async () => {
    const first = await p.api('POST', '/v1/conversations', alice.accessToken, { type: 'direct', members: [alice.username, bob.username] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      type: 'direct',
      members: [alice.username, bob.username].sort(),
      created_by: `user:${alice.username}`,
    });
    const again = await p.api('POST', '/v1/conversations', bob.accessToken, {
      type: 'direct',
      members: [alice.username, bob.username].reverse(),
    });
    expect(again.status).toBe(200);
    expect(again.body.conversation_id).toBe(first.body.conversation_id);

    const g1 = await p.conversation(alice.accessToken, 'group', [alice.username, bob.username, carol.username]);
    const g2 = await p.conversation(crm.accessToken, 'group', [alice.username, carol.username]);
    const page1 = await p.api('GET', '/v1/conversations?limit=2', alice.accessToken);
    expect(page1.status).toBe(200);
    expect(page1.body.conversations).toHaveLength(2);
    const page2 = await p.api('GET', `/v1/conversations?limit=2&cursor=${page1.body.next_cursor}`, alice.accessToken);
    expect(page2.body.next_cursor).toBeUndefined();
    const ids = [...page1.body.conversations, ...page2.body.conversations]
      .map((c: { conversation_id: string }) => c.conversation_id)
      .sort();
    expect(ids).toEqual([first.body.conversation_id, g1, g2].sort());
    // Bob is not in g2.
    const bobs = await p.api('GET', '/v1/conversations', bob.accessToken);
    expect(bobs.body.conversations.map((c: { conversation_id: string }) => c.conversation_id).sort()).toEqual(
      [first.body.conversation_id, g1].sort(),
    );
    // Only your own: 403; an API client with messages:read names the user.
    expect((await p.api('GET', `/v1/conversations?username=${bob.username}`, alice.accessToken)).status).toBe(403);
    expect((await p.api('GET', `/v1/conversations?username=${bob.username}`, crm.accessToken)).body.conversations).toHaveLength(2);
  });

  it('refuses unknown members, a user not among the members, and a direct conversation of three', async () => {
    const unknown = await p.api('POST', '/v1/conversations', alice.accessToken, {
      type: 'group',
      members: [alice.username, 'nobody-here'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ field: 'members.1', message: 'no user "nobody-here"' }]);
    expect(
      (await p.api('POST', '/v1/conversations', alice.accessToken, { type: 'direct', members: [bob.username, carol.username] })).status,
    ).toBe(403);
    const three = await p.api('POST', '/v1/conversations', alice.accessToken, {
      type: 'direct',
      members: [alice.username, bob.username, carol.username],
    });
    expect(three.status).toBe(400);
    expect(three.body.errors[0].field).toBe('members');
  });
});

describe('messages', () => {
  it('accepts with 202, stores in order, and shows status, history and the trace id', async () => {
    const conv = await p.conversation(alice.accessToken, 'group', [alice.username, bob.username, carol.username]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await p.api('POST', '/v1/messages', alice.accessToken, {
        conversation_id: conv,
        from: alice.username,
        payload: { type: 'text', text: `hello ${i}` },
      });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ message_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'accepted' });
      expect(res.headers.get('location')).toBe(`/v1/messages/${res.body.message_id}/status`);
      ids.push(res.body.message_id);
    }
    const status = await eventually(
      async () => {
        const s = await p.api('GET', `/v1/messages/${ids[0]}/status`, bob.accessToken);
        return s.status === 200 && s.body.status === 'pending' ? s : undefined;
      },
      { what: 'status pending', timeoutMs: 20_000 },
    );
    expect(status.body).toMatchObject({ message_id: ids[0], conversation_id: conv, sequence_number: 1, status: 'pending' });
    expect(
      status.body.recipients.map((r: { recipient: string; channel: string; status: string }) => [r.recipient, r.channel, r.status]).sort(),
    ).toEqual(
      [
        [bob.username, 'internal', 'pending'],
        [carol.username, 'internal', 'pending'],
      ].sort(),
    );
    expect(status.body.status_history.map((h: { status: string }) => h.status)).toEqual(['accepted', 'accepted', 'pending', 'pending']);

    const history = await eventually(
      async () => {
        const h = await p.api('GET', `/v1/conversations/${conv}/messages?limit=2`, carol.accessToken);
        return h.body.messages?.length === 2 && h.body.next_cursor ? h : undefined;
      },
      { what: 'history', timeoutMs: 20_000 },
    );
    expect(history.body.messages.map((m: { sequence_number: number; message_id: string }) => [m.sequence_number, m.message_id])).toEqual([
      [1, ids[0]],
      [2, ids[1]],
    ]);
    const rest = await eventually(async () => {
      const h = await p.api('GET', `/v1/conversations/${conv}/messages?since=${history.body.next_cursor}`, carol.accessToken);
      return h.body.messages?.length === 1 ? h : undefined;
    });
    expect(rest.body.messages[0]).toMatchObject({
      message_id: ids[2],
      sequence_number: 3,
      from: alice.username,
      to: [bob.username, carol.username],
      payload: { type: 'text', text: 'hello 2' },
    });
    expect(rest.body.next_cursor).toBeUndefined();
    const stored = await p.db.collection('messages').findOne({ _id: ids[0] as never });
    expect(stored?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(stored?.submitted_by).toBe(`user:${alice.username}`);
  });

  it('answers the same id for a repeated message_id or Idempotency-Key and stores it once', async () => {
    const conv = await p.conversation(alice.accessToken, 'direct', [alice.username, carol.username]);
    const mid = randomUUID();
    const body = { message_id: mid, conversation_id: conv, from: alice.username, payload: { type: 'text', text: 'once' } };
    expect((await p.api('POST', '/v1/messages', alice.accessToken, body)).body.message_id).toBe(mid);
    expect((await p.api('POST', '/v1/messages', alice.accessToken, body)).body.message_id).toBe(mid);
    const keyed = { conversation_id: conv, from: carol.username, payload: { type: 'text', text: 'keyed' } };
    const k1 = await p.api('POST', '/v1/messages', carol.accessToken, keyed, { 'idempotency-key': 'order-4711' });
    const k2 = await p.api('POST', '/v1/messages', carol.accessToken, keyed, { 'idempotency-key': 'order-4711' });
    expect(k1.status).toBe(202);
    expect(k2.body.message_id).toBe(k1.body.message_id);
    // The same key from another caller is another message.
    const other = await p.api(
      'POST',
      '/v1/messages',
      alice.accessToken,
      { ...keyed, from: alice.username },
      { 'idempotency-key': 'order-4711' },
    );
    expect(other.body.message_id).not.toBe(k1.body.message_id);
    await eventually(async () => (await p.db.collection('messages').countDocuments({ conversation_id: conv })) === 3, {
      what: '3 stored',
      timeoutMs: 20_000,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    const stored = await p.db.collection('messages').find({ conversation_id: conv }).toArray();
    expect(stored.map((m) => m.sequence_number).sort()).toEqual([1, 2, 3]);
    expect(new Set(stored.map((m) => m.message_id))).toEqual(new Set([mid, k1.body.message_id, other.body.message_id]));
  });

  it('lets an API client send as a member and read status; hides messages from non-members with 404', async () => {
    const conv = await p.conversation(alice.accessToken, 'direct', [alice.username, bob.username]);
    const sent = await p.api('POST', '/v1/messages', crm.accessToken, {
      conversation_id: conv,
      from: bob.username,
      channels: ['internal', 'telegram'],
      payload: { type: 'text', text: 'from the CRM' },
    });
    expect(sent.status).toBe(202);
    const status = await eventually(async () => {
      const s = await p.api('GET', `/v1/messages/${sent.body.message_id}/status`, crm.accessToken);
      // Routed on both channels: internal pending (nobody online), telegram decided by the connector (bob has no chat linked).
      return s.status === 200 && s.body.recipients.every((r: { status: string }) => r.status !== 'accepted') ? s : undefined;
    });
    expect(status.body.recipients.map((r: { channel: string; status: string }) => r.channel).sort()).toEqual(['internal', 'telegram']);
    expect(status.body.recipients.find((r: { channel: string }) => r.channel === 'internal').status).toBe('pending');
    // Carol is not a member: the message and the conversation do not exist for her.
    const hidden = await p.api('GET', `/v1/messages/${sent.body.message_id}/status`, carol.accessToken);
    expect(hidden.status).toBe(404);
    expect(hidden.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await p.api('GET', `/v1/conversations/${conv}/messages`, carol.accessToken)).status).toBe(404);
    expect((await p.api('GET', `/v1/messages/${randomUUID()}/status`, alice.accessToken)).status).toBe(404);
  });

  it('counts accepts and measures their latency on the frontend', async () => {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    expect(text).toMatch(/hub_messages_accepted_total\{[^}]*source="api"[^}]*\} [1-9]/);
    expect(text).toMatch(/hub_message_accept_seconds_count\{[^}]*outcome="accepted"[^}]*\} [1-9]/);
    expect(text).toMatch(/hub_message_accept_publish_seconds_count\{[^}]*\} [1-9]/);
  });

  it('documents the endpoints in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${p.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/conversations',
        '/v1/messages',
        '/v1/messages/{message_id}/status',
        '/v1/conversations/{conversation_id}/messages',
        '/v1/conversations/{conversation_id}/accept',
      ]),
    );
    expect(doc.paths['/v1/messages']!.post).toBeDefined();
    // A client-chosen id already another caller's (409) or reused by the same caller for another message (422).
    const responses = (
      doc.paths['/v1/messages']!.post as { responses: Record<string, { description: string; content: Record<string, unknown> }> }
    ).responses;
    expect(responses['409']).toMatchObject({
      description: expect.stringMatching(/another sender/),
      content: { 'application/problem+json': expect.anything() },
    });
    expect(responses['422']).toMatchObject({
      description: expect.stringMatching(/different message/),
      content: { 'application/problem+json': expect.anything() },
    });
  });
});
