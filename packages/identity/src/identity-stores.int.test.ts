import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdKeys } from '@hub/domain';
import { createLogger, createRedis, EtcdStore } from '@hub/platform';
import { stackEnv } from '../../../test/support/stack-env';
import { eventually } from '../../../test/support/spawn-service';
import { RedisRateLimiter } from './adapters/redis-rate-limiter';
import { RedisRefreshTokenStore } from './adapters/redis-refresh-token-store';
import { RedisSessionRevocations, subscribeRevocations } from './adapters/redis-session-revocations';
import { ChannelMappingsRepository } from './channel-mappings.repository';
import { ClientsRepository } from './clients.repository';
import { PasswordHasher } from './passwords';
import { UsersRepository } from './users.repository';
import { WatchedIdentityDirectory } from './watched-identity-directory';

const env = stackEnv();
const namespace = `t-${randomUUID()}/`;
const keyPrefix = `t-${randomUUID()}:`;
const logger = createLogger({ service: 'test', level: 'silent' });

describe('identity stores (real etcd and Redis)', () => {
  const kv = new EtcdStore({ hosts: env.ETCD_HOSTS!.split(','), namespace });
  const redis = createRedis({ url: env.REDIS_URL!, keyPrefix });
  const redisSub = createRedis({ url: env.REDIS_URL! });
  const users = new UsersRepository(kv, new PasswordHasher({ memoryKib: 1024, timeCost: 1 }));
  const clients = new ClientsRepository(kv);
  const mappings = new ChannelMappingsRepository(kv);
  const directories: WatchedIdentityDirectory[] = [];

  afterAll(async () => {
    await Promise.all(directories.map((d) => d.stop()));
    await kv.client.delete().prefix(namespace);
    // KEYS takes the full pattern and returns full names; DEL adds the prefix itself.
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(keyPrefix.length)));
    kv.close();
    redis.disconnect();
    redisSub.disconnect();
  });

  it('registers a name once: of concurrent registrations exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => users.register({ username: 'race', password: `password-${i}` })));
    expect(results.filter((r) => r !== 'taken')).toHaveLength(1);
    const winner = results.findIndex((r) => r !== 'taken');
    expect(await users.authenticate('race', `password-${winner}`)).toMatchObject({ username: 'race' });
    expect(await users.authenticate('race', `password-${(winner + 1) % 6}`)).toBeUndefined();
    expect(await users.authenticate('nobody', 'whatever')).toBeUndefined();
  });

  it('stores only the password hash and the secret digest', async () => {
    await users.register({ username: 'hashcheck', password: 'plain-password-1' });
    const stored = JSON.stringify(await kv.get(EtcdKeys.user('hashcheck')));
    expect(stored).not.toContain('plain-password-1');
    expect(stored).toContain('$argon2id$');
    const { client, secret } = await clients.create({ name: 'crm', scopes: ['messages:send'] });
    const raw = JSON.stringify(await kv.get(EtcdKeys.client(client.client_id)));
    expect(raw).not.toContain(secret);
    expect(await clients.authenticate(client.client_id, secret)).toMatchObject({ client_id: client.client_id, scopes: ['messages:send'] });
    expect(await clients.authenticate(client.client_id, `${secret}x`)).toBeUndefined();
  });

  it('bootstraps the admin client idempotently and follows a changed secret', async () => {
    expect(await clients.ensureAdmin('boot-admin', 'first-secret-0123456789abcdef')).toBe('created');
    expect(await clients.ensureAdmin('boot-admin', 'first-secret-0123456789abcdef')).toBe('unchanged');
    expect(await clients.ensureAdmin('boot-admin', 'second-secret-0123456789abcdef')).toBe('updated');
    expect(await clients.authenticate('boot-admin', 'first-secret-0123456789abcdef')).toBeUndefined();
    expect((await clients.authenticate('boot-admin', 'second-secret-0123456789abcdef'))?.scopes).toEqual(['admin']);
  });

  it('links an external id to one user only, and frees it on unlink', async () => {
    expect(await mappings.link('alice', 'telegram', '111')).toMatchObject({ ok: true, created: true });
    expect(await mappings.link('bob', 'telegram', '111')).toEqual({ ok: false, conflict: 'linked_to_another_user' });
    expect(await mappings.link('alice', 'telegram', '111')).toMatchObject({ ok: true, created: false });
    // Re-linking to another id releases the old one.
    await mappings.link('alice', 'telegram', '222');
    expect(await kv.get(EtcdKeys.channelIndex('telegram', '111'))).toBeUndefined();
    expect(await mappings.link('bob', 'telegram', '111')).toMatchObject({ ok: true });
    expect(await mappings.unlink('alice', 'telegram')).toBe(true);
    expect(await mappings.unlink('alice', 'telegram')).toBe(false);
    expect(await kv.get(EtcdKeys.channelIndex('telegram', '222'))).toBeUndefined();
  });

  it('lets a new user take over a claim whose owner never finished linking', async () => {
    await kv.put(EtcdKeys.channelIndex('whatsapp', '+15550000001'), {
      username: 'crashed',
      claimed_at: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(await mappings.link('carol', 'whatsapp', '+15550000001')).toMatchObject({ ok: true });
    await kv.put(EtcdKeys.channelIndex('whatsapp', '+15550000002'), { username: 'linking-now', claimed_at: new Date().toISOString() });
    expect(await mappings.link('dave', 'whatsapp', '+15550000002')).toMatchObject({ ok: false });
  });

  it('directory: loads, then follows puts and deletes through the watch', async () => {
    await mappings.link('erin', 'instagram', 'erin-ig');
    const directory = new WatchedIdentityDirectory(kv, logger);
    directories.push(directory);
    await directory.ready();
    expect(directory.getUser('hashcheck')).toMatchObject({ username: 'hashcheck' });
    expect(JSON.stringify(directory.getUser('hashcheck'))).not.toContain('argon2');
    expect(directory.findUserByExternalId('instagram', 'erin-ig')).toBe('erin');
    expect(directory.getClient('boot-admin')).toMatchObject({ scopes: ['admin'] });
    expect(JSON.stringify(directory.listClients())).not.toContain('secret_hash');

    await users.register({ username: 'late', password: 'late-password' });
    await mappings.link('late', 'telegram', '-100777');
    await eventually(() => directory.findUserByExternalId('telegram', '-100777') === 'late', { what: 'watched mapping', timeoutMs: 2_000 });
    expect(directory.getUser('late')).toMatchObject({ username: 'late' });
    await mappings.unlink('late', 'telegram');
    await clients.delete('boot-admin');
    await eventually(() => !directory.getMapping('late', 'telegram') && !directory.getClient('boot-admin'), {
      what: 'watched deletes',
      timeoutMs: 2_000,
    });
    expect(directory.findUserByExternalId('telegram', '-100777')).toBeUndefined();
  });

  it('directory: a reverse-index entry without the matching mapping is not an answer', async () => {
    const directory = directories[0]!;
    await kv.put(EtcdKeys.channelIndex('messenger', 'orphan'), { username: 'ghost' });
    // A later link on the same watch stream: once it is visible, the orphan entry has been applied too.
    await mappings.link('frank', 'messenger', 'frank-id');
    await eventually(() => directory.findUserByExternalId('messenger', 'frank-id') === 'frank', { what: 'later link', timeoutMs: 2_000 });
    expect(directory.findUserByExternalId('messenger', 'orphan')).toBeUndefined();
  });

  it('directory: resolves a client it has not seen yet from etcd, and remembers misses', async () => {
    const directory = directories[0]!;
    const { client } = await clients.create({ name: 'fresh', scopes: ['messages:read'] });
    // Whether or not the watch got there first, the answer is the client.
    expect(await directory.resolveClient(client.client_id)).toMatchObject({ client_id: client.client_id });
    expect(await directory.resolveClient('never-existed')).toBeUndefined();
  });

  it('refresh tokens: of concurrent uses of one token exactly one is fresh', async () => {
    const store = new RedisRefreshTokenStore(redis);
    await store.save('digest-1', { family: 'fam-1', username: 'alice', scope: 'messages:send' }, 60_000);
    const uses = await Promise.all(Array.from({ length: 5 }, () => store.use('digest-1')));
    expect(uses.filter((u) => u.state === 'fresh')).toHaveLength(1);
    expect(uses.filter((u) => u.state === 'reused')).toHaveLength(4);
    expect(uses[0]).toMatchObject({ record: { family: 'fam-1', username: 'alice', scope: 'messages:send' } });
    expect(await store.use('unknown-digest')).toEqual({ state: 'unknown' });
    expect(await redis.pttl('refresh:digest-1')).toBeGreaterThan(50_000);
  });

  it('revocations: remembered, and announced to subscribers', async () => {
    const revocations = new RedisSessionRevocations(redis, 60_000);
    const seen: string[] = [];
    const unsubscribe = await subscribeRevocations(redisSub, (id) => seen.push(id), keyPrefix);
    try {
      expect(await revocations.isRevoked('sess-1')).toBe(false);
      await revocations.revoke('sess-1');
      expect(await revocations.isRevoked('sess-1')).toBe(true);
      await eventually(() => seen.includes('sess-1'), { what: 'revocation notice', timeoutMs: 1_000 });
    } finally {
      await unsubscribe();
    }
  });

  it('rate limits: one counter per key across limiter instances, with per-key limits', async () => {
    const a = new RedisRateLimiter(redis, { name: 'api', windowSeconds: 60 });
    const b = new RedisRateLimiter(redis, { name: 'api', windowSeconds: 60 });
    const d1 = await a.consume('client:x', 3);
    expect(d1).toMatchObject({ allowed: true, limit: 3, remaining: 2 });
    expect(d1.resetMs).toBeGreaterThan(55_000);
    await b.consume('client:x', 3);
    await a.consume('client:x', 3);
    const refused = await b.consume('client:x', 3);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(await a.peek('client:x', 3)).toMatchObject({ allowed: false });
    // Another key, or a higher per-client limit, is not affected.
    expect(await a.consume('client:y', 3)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await a.consume('client:x', 10)).toMatchObject({ allowed: true, remaining: 5 });
    await a.reset('client:x');
    expect(await a.peek('client:x', 3)).toMatchObject({ allowed: true, remaining: 3 });
  });
});
