import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTestEnv, randomUsername, registerAndLogin, testFrontendEnv, type TestUser } from '../../../test/support/identity';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';
import { TestClient } from '../../../test/support/ws-client';

// Issue 22, finding 4: creating a conversation with someone must not reveal
// their presence (REST, `presence` frames, `typing`) until they reply in it
// or accept it, and conversation creation caps how many usernames a user
// can probe. Frontend, router and a presence node on the real stack.
const UNKNOWN_MEMBER_LIMIT = 3;
let env: Record<string, string>;
let frontend: ServiceProcess;
let router: ServiceProcess;
let node: ServiceProcess;
const services: ServiceProcess[] = [];
const clients: TestClient[] = [];

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${frontend.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function presenceOf(viewer: TestUser, subject: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.url}/v1/presence/${subject}`, { headers: { authorization: `Bearer ${viewer.accessToken}` } });
  return { status: res.status, body: await res.json() };
}

async function direct(creator: TestUser, other: TestUser): Promise<string> {
  const res = await call('POST', '/v1/conversations', creator.accessToken, { type: 'direct', members: [creator.username, other.username] });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body.conversation_id as string;
}

async function connect(user: TestUser): Promise<TestClient> {
  const c = await TestClient.connect(node.url, user.accessToken, { heartbeatMs: 500 });
  clients.push(c);
  return c;
}

/** A's view of a stranger's presence: the answer a forced conversation must not improve on. */
function strangerAnswer(res: { status: number; body: any }, subject: string): { status: number; title: unknown; detail: unknown } {
  return { status: res.status, title: res.body.title, detail: String(res.body.detail).replace(subject, '<user>') };
}

beforeAll(async () => {
  env = testFrontendEnv({
    PRESENCE_TTL_MS: '4000',
    WS_HEARTBEAT_INTERVAL_MS: '1000',
    WS_HEARTBEAT_MISSES: '3',
    RATE_LIMIT_PER_MIN: '1000000',
    UNKNOWN_MEMBER_LIMIT: String(UNKNOWN_MEMBER_LIMIT),
  });
  [frontend, router, node] = await Promise.all([
    spawnService('frontend', env),
    spawnService('router', env),
    spawnService('presence', { ...env, PRESENCE_NODE_ID: 'node-p' }),
  ]);
  services.push(frontend, router, node);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(services.map((s) => s.stop()));
  if (env) await cleanupTestEnv(env);
});

describe('presence privacy', () => {
  it(
    'a forced conversation shares nothing of the other side until they reply: REST, presence frames and typing',
    { timeout: 120_000 },
    async () => {
      const [mallory, bob, carol, stranger] = await Promise.all([
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
        registerAndLogin(frontend.url),
      ]);
      // Bob's real contact: a conversation Bob started himself.
      await direct(bob, carol);
      const forced = await direct(mallory, bob);
      const malloryWs = await connect(mallory);
      const carolWs = await connect(carol);

      // Bob comes online: Carol (a conversation he created) hears it; Mallory (one forced on him) does not.
      const bobWs = await connect(bob);
      await carolWs.next('presence', (d) => d.user === bob.username && d.status === 'online');
      expect((await presenceOf(carol, bob.username)).body).toEqual({ user: bob.username, status: 'online' });
      const forcedAnswer = await presenceOf(mallory, bob.username);
      const strangersAnswer = await presenceOf(mallory, stranger.username);
      expect(strangersAnswer.status).toBe(403);
      expect(strangerAnswer(forcedAnswer, bob.username)).toEqual(strangerAnswer(strangersAnswer, stranger.username));
      // An unknown name gets that same answer too.
      const nobody = randomUsername('nobody');
      expect(strangerAnswer(await presenceOf(mallory, nobody), nobody)).toEqual(strangerAnswer(strangersAnswer, stranger.username));

      // Typing in a conversation he did not accept is refused, and Mallory sees none.
      bobWs.send('typing', { conversation_id: forced });
      expect((await bobWs.next('error', (d) => d.op === 'typing')).d.code).toBe('not_accepted');

      // Bob goes offline: Carol hears it, Mallory still hears nothing of Bob.
      await bobWs.close();
      await carolWs.next('presence', (d) => d.user === bob.username && d.status === 'offline');
      await new Promise((r) => setTimeout(r, 500));
      expect(malloryWs.all('presence').filter((f) => f.d.user === bob.username)).toEqual([]);
      expect(malloryWs.all('typing')).toEqual([]);

      // Mallory's own presence reaches Bob: she created the conversation, so she accepted it.
      const bobAgain = await connect(bob);
      expect((await presenceOf(bob, mallory.username)).body).toEqual({ user: mallory.username, status: 'online' });

      // Bob replies: once the router stored it, Mallory may see his presence and hears his transitions.
      const reply = await call('POST', '/v1/messages', bob.accessToken, {
        conversation_id: forced,
        from: bob.username,
        payload: { type: 'text', text: 'hi, who is this?' },
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(202);
      const seen = await eventually(
        async () => {
          const r = await presenceOf(mallory, bob.username);
          return r.status === 200 ? r : undefined;
        },
        { what: "Bob's presence visible to Mallory after his reply", timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(seen.body).toEqual({ user: bob.username, status: 'online' });
      const mark = malloryWs.frames.length;
      await bobAgain.close();
      await malloryWs.next('presence', (d) => d.user === bob.username && d.status === 'offline', { from: mark, timeoutMs: 15_000 });
      const bobThird = await connect(bob);
      await malloryWs.next('presence', (d) => d.user === bob.username && d.status === 'online', { from: mark, timeoutMs: 15_000 });
      bobThird.send('typing', { conversation_id: forced });
      expect((await malloryWs.next('typing', (d) => d.user === bob.username)).d.conversation_id).toBe(forced);
    },
  );

  it('an explicit accept shares presence right away; only a member can accept', { timeout: 60_000 }, async () => {
    const [alice, dave, eve] = await Promise.all([
      registerAndLogin(frontend.url),
      registerAndLogin(frontend.url),
      registerAndLogin(frontend.url),
    ]);
    const conv = await direct(alice, dave);
    expect((await presenceOf(alice, dave.username)).status).toBe(403);

    const outsider = await call('POST', `/v1/conversations/${conv}/accept`, eve.accessToken);
    expect(outsider.status).toBe(404);
    expect(outsider.body.detail).toMatch(/no conversation/);
    expect((await call('POST', '/v1/conversations/not-a-uuid/accept', dave.accessToken)).status).toBe(400);

    const accepted = await call('POST', `/v1/conversations/${conv}/accept`, dave.accessToken);
    expect(accepted).toEqual({ status: 200, body: { conversation_id: conv, username: dave.username, accepted: true } });
    expect((await presenceOf(alice, dave.username)).body).toEqual({ user: dave.username, status: 'offline' });
    // Repeating it is harmless.
    expect((await call('POST', `/v1/conversations/${conv}/accept`, dave.accessToken)).status).toBe(200);
  });

  it('opening the direct conversation someone else started accepts it', { timeout: 60_000 }, async () => {
    const [frank, grace] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
    const conv = await direct(frank, grace);
    expect((await presenceOf(frank, grace.username)).status).toBe(403);
    const again = await call('POST', '/v1/conversations', grace.accessToken, { type: 'direct', members: [grace.username, frank.username] });
    expect(again.status).toBe(200);
    expect(again.body.conversation_id).toBe(conv);
    expect((await presenceOf(frank, grace.username)).status).toBe(200);
  });

  it(
    'caps username probing: past the limit of unknown names, every creation gets 429, existing members or not',
    { timeout: 60_000 },
    async () => {
      const [prober, target] = await Promise.all([registerAndLogin(frontend.url), registerAndLogin(frontend.url)]);
      for (let i = 0; i < UNKNOWN_MEMBER_LIMIT; i++) {
        const res = await call('POST', '/v1/conversations', prober.accessToken, {
          type: 'direct',
          members: [prober.username, randomUsername('ghost')],
        });
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(res.body.errors[0].field).toBe('members.1');
      }
      const unknown = await call('POST', '/v1/conversations', prober.accessToken, {
        type: 'direct',
        members: [prober.username, randomUsername('ghost')],
      });
      const known = await call('POST', '/v1/conversations', prober.accessToken, {
        type: 'direct',
        members: [prober.username, target.username],
      });
      expect(unknown.status).toBe(429);
      expect(known.status).toBe(429);
      expect(known.body.detail).toBe(unknown.body.detail);
      // Nothing was created for the refused request.
      const listed = await call('GET', '/v1/conversations', target.accessToken);
      expect(listed.body.conversations).toEqual([]);
      // Another user is not affected by the prober's count.
      expect(
        (await call('POST', '/v1/conversations', target.accessToken, { type: 'direct', members: [target.username, prober.username] }))
          .status,
      ).toBe(201);
    },
  );
});
