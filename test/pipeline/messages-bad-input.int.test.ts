import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../support/identity';
import { startPipeline, type Pipeline } from './harness';

let p: Pipeline;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let conv: string;

// No router: only what the frontend wrote to hub.messages.v1 is checked.
beforeAll(async () => {
  p = await startPipeline();
  [alice, bob, carol] = await Promise.all([p.user(), p.user(), p.user()]);
  conv = await p.conversation(alice.accessToken, 'direct', [alice.username, bob.username]);
});
afterAll(async () => {
  await p?.stop();
});

const valid = () => ({ conversation_id: conv, from: alice.username, payload: { type: 'text', text: 'hi' } });

describe('POST /v1/messages refuses bad input with problem+json and writes nothing to Kafka', () => {
  const cases: Array<{
    name: string;
    status: number;
    send: () => Promise<{ status: number; body: any; headers: Headers }>;
    field?: string;
    detail?: RegExp;
  }> = [
    {
      name: 'unknown conversation',
      status: 404,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), conversation_id: randomUUID() }),
      detail: /does not exist/,
    },
    {
      name: 'sender not a member',
      status: 403,
      send: () => p.api('POST', '/v1/messages', carol.accessToken, { ...valid(), from: carol.username }),
      detail: /not a member/,
    },
    {
      name: 'sending as someone else',
      status: 403,
      send: () => p.api('POST', '/v1/messages', bob.accessToken, valid()),
      detail: /only send as its own user/,
    },
    {
      name: '`to` not a member',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), to: [carol.username] }),
      field: 'to.0',
    },
    {
      name: 'unknown channel',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), channels: ['pigeon'] }),
      field: 'channels.0',
    },
    {
      name: 'empty text',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), payload: { type: 'text', text: '   ' } }),
      field: 'payload.text',
    },
    {
      name: 'text over 4096 characters',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), payload: { type: 'text', text: 'x'.repeat(4097) } }),
      field: 'payload.text',
    },
    {
      name: 'oversized body',
      status: 413,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), payload: { type: 'text', text: 'x'.repeat(70_000) } }),
      detail: /exceeds the limit/,
    },
    {
      name: 'invalid UUID in message_id',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), message_id: 'not-a-uuid' }),
      field: 'message_id',
    },
    {
      name: 'invalid JSON',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, '{"conversation_id": '),
      detail: /not valid JSON/,
    },
    {
      name: 'wrong content type',
      status: 415,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, undefined, { 'content-type': 'text/plain' }),
      detail: /Content-Type must be application\/json/,
    },
    {
      name: 'unknown field',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), priority: 'high' }),
      field: 'priority',
    },
    {
      name: 'bad Idempotency-Key',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, valid(), { 'idempotency-key': 'has spaces' }),
      field: 'header.Idempotency-Key',
    },
    {
      name: 'a file that does not exist',
      status: 400,
      send: () => p.api('POST', '/v1/messages', alice.accessToken, { ...valid(), payload: { type: 'file', file_id: randomUUID() } }),
      field: 'payload.file_id',
    },
    {
      name: 'no access token',
      status: 401,
      send: () =>
        fetch(`${p.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(valid()),
        }).then(async (r) => ({ status: r.status, body: await r.json(), headers: r.headers })),
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const res = await c.send();
      expect(res.status).toBe(c.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status: c.status });
      if (c.field) expect(res.body.errors?.map((e: { field: string }) => e.field)).toContain(c.field);
      if (c.detail) expect(res.body.detail).toMatch(c.detail);
    });
  }

  it('produced exactly the valid messages to hub.messages.v1', async () => {
    // A valid message after all the refused ones: once it is on the topic, any refused one would be too.
    const ok = await p.api('POST', '/v1/messages', alice.accessToken, valid());
    expect(ok.status).toBe(202);
    const produced = await p.producedMessages();
    expect(produced.map((m) => m.message_id)).toEqual([ok.body.message_id]);
  });
});
