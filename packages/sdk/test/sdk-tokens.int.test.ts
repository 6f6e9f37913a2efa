import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient, HubProblemError, MemoryTokenStore, type CloseInfo, type WebSocketConstructor } from '../src/index.js';
import { adminToken, cleanupTestEnv, createApiClient, randomUsername, testFrontendEnv, testPassword } from '../../../test/support/identity';
import { eventually, spawnService, type ServiceProcess } from '../../../test/support/spawn-service';

// Four services start at once on a shared 2-core machine: give them longer than spawnService's default minute.
const SLOW_START = { timeoutMs: 150_000 };

// Token handling against the real frontend and presence node, with access
// tokens that live 6 seconds: the SDK renews them ahead of expiry, after a
// 401, and after the WebSocket gateway closes with 4010.

let env: Record<string, string>;
let frontend: ServiceProcess;
let presence: ServiceProcess;

beforeAll(async () => {
  env = testFrontendEnv({
    ACCESS_TOKEN_TTL_S: '6',
    WS_HEARTBEAT_INTERVAL_MS: '500',
    WS_HEARTBEAT_MISSES: '4',
    RATE_LIMIT_PER_MIN: '1000000',
  });
  [frontend, presence] = await Promise.all([spawnService('frontend', env, SLOW_START), spawnService('presence', env, SLOW_START)]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([frontend, presence].filter(Boolean).map((s) => s.stop()));
  if (env) await cleanupTestEnv(env);
});

async function loggedIn(): Promise<{ hub: HubClient; store: MemoryTokenStore; username: string }> {
  const store = new MemoryTokenStore();
  const hub = new HubClient({
    baseUrl: frontend.url,
    tokenStore: store,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    wsUrl: `${presence.url.replace(/^http/, 'ws')}/v1/ws`,
  });
  const username = randomUsername('tok');
  const password = testPassword();
  await hub.register({ username, password });
  await hub.loginWithPassword(username, password);
  return { hub, store, username };
}

describe('SDK token handling (real hub, 6 s access tokens)', () => {
  it('renews before expiry with a rotated refresh token; the used one is dead afterwards', async () => {
    const { hub, store, username } = await loggedIn();
    const first = store.get()!;
    expect((await hub.me()).subject).toBe(username);

    // Past half the lifetime the next call renews first.
    await new Promise((r) => setTimeout(r, 3_500));
    expect((await hub.me()).subject).toBe(username);
    const second = store.get()!;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toBeTruthy();
    expect(second.refreshToken).not.toBe(first.refreshToken);

    // Rotation is real: the first refresh token was used up.
    const reuse = await fetch(`${frontend.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: first.refreshToken }),
    });
    expect(reuse.status).toBe(401);
    await reuse.body?.cancel();
  });

  it('renews once after a 401 and repeats the request', async () => {
    const { hub, store, username } = await loggedIn();
    const good = store.get()!;
    // A token the server refuses although the client thinks it fresh (e.g. signed with an old key).
    store.set({ ...good, accessToken: `${good.accessToken.slice(0, -4)}AAAA` });
    expect((await hub.me()).subject).toBe(username);
    expect(store.get()!.refreshToken).not.toBe(good.refreshToken);
  });

  it('logout revokes the session: the next renewal is refused and the store is cleared', async () => {
    const { hub, store } = await loggedIn();
    const before = store.get()!;
    await hub.logout();
    expect(store.get()).toBeUndefined();
    const refresh = await fetch(`${frontend.url}/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: before.refreshToken }),
    });
    expect(refresh.status).toBe(401);
    await refresh.body?.cancel();
    await expect(hub.me()).rejects.toBeInstanceOf(HubProblemError);
  });

  it('reconnects the WebSocket with a renewed token after the gateway closes with 4010', async () => {
    const { hub, store } = await loggedIn();
    const socket = hub.connect();
    try {
      const closes: CloseInfo[] = [];
      socket.on('close', (c) => closes.push(c));
      let opens = 0;
      socket.on('open', () => opens++);
      await socket.once('open');
      const firstToken = store.get()!.accessToken;
      await eventually(() => closes.some((c) => c.code === 4010) && opens >= 2 && socket.state === 'open', {
        what: 'a 4010 close and a reconnect',
        timeoutMs: 20_000,
      });
      expect(closes.find((c) => c.code === 4010)?.willReconnect).toBe(true);
      expect(store.get()!.accessToken).not.toBe(firstToken);
    } finally {
      socket.close();
    }
  }, 40_000);

  it('stops instead of reconnecting when the hub refuses the WebSocket to an API client token (403)', async () => {
    const admin = await adminToken(frontend.url, env);
    const client = await createApiClient(frontend.url, admin, ['messages:send']);
    const hub = new HubClient({
      baseUrl: frontend.url,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      wsUrl: `${presence.url.replace(/^http/, 'ws')}/v1/ws`,
    });
    await hub.loginWithClientCredentials(client.clientId, client.clientSecret);
    const socket = hub.connect();
    const errors: unknown[] = [];
    socket.on('error', (e) => errors.push(e));
    await eventually(() => socket.state === 'closed', { what: 'the client giving up' });
    expect(errors.at(-1)).toMatchObject({ name: 'HubSocketError', code: 'auth' });
    const reconnects: number[] = [];
    socket.on('reconnecting', (r) => reconnects.push(r.attempt));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(reconnects).toEqual([]);
  });
});
