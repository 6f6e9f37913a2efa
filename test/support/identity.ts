import { randomBytes, randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { spawnService, type ServiceProcess } from './spawn-service';
import { isolatedServiceEnv } from './service-env';

/**
 * Identity helpers for integration tests of any feature: a spawned
 * frontend's environment, and users and API clients created through the
 * real HTTP API. Keep these signatures stable; other suites rely on them.
 */

/** The admin API client every test frontend bootstraps (see testFrontendEnv). */
export const TEST_ADMIN_CLIENT_ID = 'test-admin';

export interface TestAdmin {
  clientId: string;
  clientSecret: string;
}

/**
 * Environment for `spawnService('frontend', env)`: the stack's settings,
 * a random etcd namespace, Redis key prefix, Mongo database and Kafka name
 * prefix (isolatedServiceEnv), a random JWT secret, an admin client
 * (TEST_ADMIN_CLIENT_ID with a random secret: read it back with
 * testAdmin(env)), cheap password hashing and login limits high enough for
 * suites that log in many times from 127.0.0.1. Overrides win; two
 * frontends given the same env share all state.
 */
export function testFrontendEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return isolatedServiceEnv({
    ADMIN_CLIENT_ID: TEST_ADMIN_CLIENT_ID,
    ADMIN_CLIENT_SECRET: `test-admin-${randomBytes(24).toString('base64url')}`,
    // argon2id at 1 MiB, 1 pass: same code path, a fraction of the CPU on a 2-core machine.
    PASSWORD_HASH_MEMORY_KIB: '1024',
    PASSWORD_HASH_TIME_COST: '1',
    LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '10',
    ...overrides,
  });
}

export function testAdmin(env: Record<string, string>): TestAdmin {
  const clientId = env.ADMIN_CLIENT_ID;
  const clientSecret = env.ADMIN_CLIENT_SECRET;
  if (!clientId || !clientSecret) throw new Error('this env has no admin client: build it with testFrontendEnv()');
  return { clientId, clientSecret };
}

/** A password that satisfies the registration rules. */
export function testPassword(): string {
  return `pw-${randomBytes(12).toString('base64url')}`;
}

export function randomUsername(prefix = 'u'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function expectOk<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export interface TestUser {
  username: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a user (random name unless given) and logs them in. */
export async function registerAndLogin(baseUrl: string, username = randomUsername(), password = testPassword()): Promise<TestUser> {
  await expectOk(await postJson(`${baseUrl}/v1/auth/register`, { username, password }), `register ${username}`);
  const tokens = await login(baseUrl, username, password);
  return { username, password, accessToken: tokens.access_token, refreshToken: tokens.refresh_token! };
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
}

export async function login(baseUrl: string, username: string, password: string): Promise<TokenBody> {
  return expectOk(await postJson(`${baseUrl}/v1/auth/token`, { grant_type: 'password', username, password }), `login ${username}`);
}

export async function clientToken(baseUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const body = await expectOk<TokenBody>(
    await postJson(`${baseUrl}/v1/auth/token`, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    `token for client ${clientId}`,
  );
  return body.access_token;
}

/** An access token of the env's bootstrapped admin client. */
export async function adminToken(baseUrl: string, env: Record<string, string>): Promise<string> {
  const admin = testAdmin(env);
  return clientToken(baseUrl, admin.clientId, admin.clientSecret);
}

export interface TestApiClient {
  clientId: string;
  clientSecret: string;
  accessToken: string;
}

/** Creates an API client through POST /v1/clients and gets it a token. */
export async function createApiClient(
  baseUrl: string,
  adminAccessToken: string,
  scopes: string[],
  extra: { name?: string; sender_name?: string; rate_limit_per_min?: number } = {},
): Promise<TestApiClient> {
  const created = await expectOk<{ client_id: string; client_secret: string }>(
    await postJson(
      `${baseUrl}/v1/clients`,
      { name: extra.name ?? `test client ${randomUUID().slice(0, 8)}`, scopes, ...extra },
      { authorization: `Bearer ${adminAccessToken}` },
    ),
    'create API client',
  );
  return {
    clientId: created.client_id,
    clientSecret: created.client_secret,
    accessToken: await clientToken(baseUrl, created.client_id, created.client_secret),
  };
}

/**
 * Removes what a test frontend left under the env's isolation settings:
 * etcd keys under ETCD_NAMESPACE, Redis keys under REDIS_KEY_PREFIX, Kafka
 * topics named with KAFKA_NAME_PREFIX and the MONGO_DB database. Best
 * effort: a store that does not answer is skipped.
 */
export async function cleanupTestEnv(env: Record<string, string>): Promise<void> {
  await Promise.allSettled([cleanEtcd(env), cleanRedis(env), cleanKafka(env), cleanMongo(env)]);
}

/**
 * Spawns a frontend with testFrontendEnv(overrides) and returns it with its
 * env and admin credentials; stop() stops it and cleans up its state.
 */
export async function startTestFrontend(
  overrides: Record<string, string> = {},
): Promise<{ fe: ServiceProcess; url: string; env: Record<string, string>; admin: TestAdmin; stop(): Promise<void> }> {
  const env = testFrontendEnv(overrides);
  const fe = await spawnService('frontend', env);
  return {
    fe,
    url: fe.url,
    env,
    admin: testAdmin(env),
    stop: async () => {
      await fe.stop();
      await cleanupTestEnv(env);
    },
  };
}

async function cleanEtcd(env: Record<string, string>): Promise<void> {
  if (!env.ETCD_NAMESPACE || !env.ETCD_HOSTS) return;
  const etcd = new Etcd3({ hosts: env.ETCD_HOSTS.split(','), dialTimeout: 2_000 });
  try {
    await etcd.delete().prefix(env.ETCD_NAMESPACE);
  } finally {
    etcd.close();
  }
}

async function cleanRedis(env: Record<string, string>): Promise<void> {
  const prefix = env.REDIS_KEY_PREFIX;
  if (!prefix || !env.REDIS_URL) return;
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function cleanKafka(env: Record<string, string>): Promise<void> {
  const prefix = env.KAFKA_NAME_PREFIX;
  if (!prefix || !env.KAFKA_BROKERS) return;
  const admin = new Kafka({ brokers: env.KAFKA_BROKERS.split(','), clientId: 'test-cleanup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

async function cleanMongo(env: Record<string, string>): Promise<void> {
  if (!env.MONGO_DB || !env.MONGO_URL || env.MONGO_DB === 'hub') return;
  const client = new MongoClient(env.MONGO_URL, { serverSelectionTimeoutMS: 2_000 });
  try {
    await client.connect();
    await client.db(env.MONGO_DB).dropDatabase();
  } finally {
    await client.close();
  }
}
