import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AccessTokens,
  createLogger,
  createMetricsRegistry,
  createRedis,
  createServiceApp,
  EtcdStore,
  ProblemError,
  type HubEnv,
} from '@hub/platform';
import { stackEnv } from '../../../test/support/stack-env';
import { RedisRateLimiter } from './adapters/redis-rate-limiter';
import { RedisSessionRevocations } from './adapters/redis-session-revocations';
import { createAuthStack } from './auth-stack';
import { ClientsRepository } from './clients.repository';
import { WatchedIdentityDirectory } from './watched-identity-directory';

const env = stackEnv();
const namespace = `t-${randomUUID()}/`;
const keyPrefix = `t-${randomUUID()}:`;

// The shared stack as another service (files, presence) mounts it: in-process app, real etcd and Redis.
describe('shared authenticated-request stack', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  const kv = new EtcdStore({ hosts: env.ETCD_HOSTS!.split(','), namespace });
  const redis = createRedis({ url: env.REDIS_URL!, keyPrefix });
  const directory = new WatchedIdentityDirectory(kv, logger);
  const tokens = new AccessTokens({ secret: randomUUID() + randomUUID(), issuer: 'test', accessTtlSeconds: 60 });
  const revocations = new RedisSessionRevocations(redis, 60_000);
  const stack = createAuthStack({
    tokens,
    revocations,
    clients: directory,
    rateLimiter: new RedisRateLimiter(redis, { name: 'api', windowSeconds: 60 }),
    defaultLimitPerMin: 3,
    logger,
  });
  const app = createServiceApp<HubEnv>({ service: 'test', logger, registry: createMetricsRegistry('test'), checks: [] });
  app.get('/v1/thing', stack.middleware, (c) => c.json({ principal: c.get('principal') }));

  afterAll(async () => {
    await directory.stop();
    await kv.client.delete().prefix(namespace);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(keyPrefix.length)));
    kv.close();
    redis.disconnect();
  });

  it('middleware: sets the principal and the RateLimit headers', async () => {
    await directory.ready();
    const token = await tokens.issue({ kind: 'user', subject: 'alice', scopes: ['messages:send'], sessionId: 's-alice' });
    const res = await app.request('/v1/thing', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ principal: { kind: 'user', subject: 'alice', scopes: ['messages:send'], sessionId: 's-alice' } });
    expect(res.headers.get('ratelimit-limit')).toBe('3');
    expect(res.headers.get('ratelimit-remaining')).toBe('2');
    const none = await app.request('/v1/thing');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
  });

  it('authenticateToken (WebSocket handshake): 401 for missing, revoked and deleted-client tokens, 429 past the limit', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof ProblemError ? `${e.status}` : String(e)),
      );
    expect(await code(stack.authenticateToken(undefined))).toBe('401');
    expect(await code(stack.authenticateToken('garbage'))).toBe('401');

    const bob = await tokens.issue({ kind: 'user', subject: 'bob', scopes: [], sessionId: 's-bob' });
    expect((await stack.authenticateToken(bob)).principal).toMatchObject({ subject: 'bob' });
    await revocations.revoke('s-bob');
    expect(await code(stack.authenticateToken(bob))).toBe('401');

    const { client } = await new ClientsRepository(kv).create({ name: 'svc', scopes: ['files:write'] });
    const clientToken = await tokens.issue({ kind: 'client', subject: client.client_id, scopes: ['files:write'] });
    expect((await stack.authenticateToken(clientToken)).rate).toMatchObject({ limit: 3, remaining: 2 });
    await stack.authenticateToken(clientToken);
    await stack.authenticateToken(clientToken);
    const limited = await stack.authenticateToken(clientToken).catch((e: unknown) => e as ProblemError);
    expect(limited).toBeInstanceOf(ProblemError);
    expect((limited as ProblemError).status).toBe(429);
    expect((limited as ProblemError).options.headers).toMatchObject({ 'RateLimit-Remaining': '0', 'Retry-After': expect.any(String) });

    await kv.delete(`clients/${client.client_id}`);
    directory.apply({ type: 'delete', key: `clients/${client.client_id}` });
    expect(await code(stack.authenticateToken(clientToken))).toBe('401');
  });

  it('a Redis outage is 503 with Retry-After, not 500', async () => {
    const down = createRedis({ url: 'redis://127.0.0.1:1', keyPrefix });
    down.on('error', () => {});
    const broken = createAuthStack({
      tokens,
      revocations: new RedisSessionRevocations(down, 1_000),
      clients: directory,
      rateLimiter: new RedisRateLimiter(down, { name: 'api', windowSeconds: 60 }),
      defaultLimitPerMin: 3,
    });
    const token = await tokens.issue({ kind: 'user', subject: 'carol', scopes: [], sessionId: 's-carol' });
    const err = (await broken.authenticateToken(token).catch((e: unknown) => e)) as ProblemError;
    down.disconnect();
    expect(err).toBeInstanceOf(ProblemError);
    expect(err.status).toBe(503);
    expect(err.options.headers?.['Retry-After']).toBeTruthy();
  });
});
