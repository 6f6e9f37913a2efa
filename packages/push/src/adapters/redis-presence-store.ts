import type { Redis } from 'ioredis';
import type { ConnectionRef, PresenceStore, UserConnections } from '../ports/presence-store';

/*
 * Layout (under REDIS_KEY_PREFIX):
 *   presence:user:<user>   ZSET  member "<node>|<connId>", score = expiry (ms since epoch)
 *   presence:node:<node>   SET   users with connections on the node (for the crash sweep)
 *   presence:nodes         ZSET  node -> last refresh (ms)
 *   presence:sweep:<node>  lock  one sweeper per dead node
 * A user is online while their ZSET has a member whose score is in the
 * future. Keys themselves live twice the TTL, so that the sweep can still
 * see a crashed node's expired entries and announce those users offline.
 */
const ADD = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[6])
return before`;

const REMOVE = `
local removed = redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local after = redis.call('ZCARD', KEYS[1])
if after == 0 then redis.call('DEL', KEYS[1]) end
if ARGV[4] == '1' then redis.call('SREM', KEYS[2], ARGV[3]) end
return {removed, after}`;

const SWEEP_USER = `
local removed = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, #ARGV[2]) == ARGV[2] then removed = removed + redis.call('ZREM', KEYS[1], m) end
end
removed = removed + redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local after = redis.call('ZCARD', KEYS[1])
if after == 0 then redis.call('DEL', KEYS[1]) end
return {removed, after}`;

type Scripted = Redis & {
  presenceAdd(
    k1: string,
    k2: string,
    k3: string,
    now: number,
    expiresAt: number,
    member: string,
    user: string,
    keyTtl: number,
    node: string,
  ): Promise<number>;
  presenceRemove(k1: string, k2: string, now: number, member: string, user: string, lastOnNode: '1' | '0'): Promise<[number, number]>;
  presenceSweepUser(k1: string, now: number, nodePrefix: string): Promise<[number, number]>;
};

const userKey = (user: string) => `presence:user:${user}`;
const nodeKey = (node: string) => `presence:node:${node}`;
const NODES = 'presence:nodes';
const member = (ref: ConnectionRef) => `${ref.node}|${ref.connId}`;

export interface RedisPresenceStoreOptions {
  ttlMs: number;
  /** A node that has not refreshed for this long counts as dead (default: two thirds of the TTL). */
  deadAfterMs?: number;
  now?: () => number;
}

/** Adapter: PresenceStore on Redis, with each transition decided by one Lua script. */
export class RedisPresenceStore implements PresenceStore {
  private readonly redis: Scripted;
  private readonly ttlMs: number;
  private readonly deadAfterMs: number;
  private readonly now: () => number;

  constructor(redis: Redis, opts: RedisPresenceStoreOptions) {
    this.ttlMs = opts.ttlMs;
    this.deadAfterMs = opts.deadAfterMs ?? Math.floor((opts.ttlMs * 2) / 3);
    this.now = opts.now ?? Date.now;
    redis.defineCommand('presenceAdd', { numberOfKeys: 3, lua: ADD });
    redis.defineCommand('presenceRemove', { numberOfKeys: 2, lua: REMOVE });
    redis.defineCommand('presenceSweepUser', { numberOfKeys: 1, lua: SWEEP_USER });
    this.redis = redis as Scripted;
  }

  async addConnection(user: string, ref: ConnectionRef): Promise<{ cameOnline: boolean }> {
    const now = this.now();
    const before = await this.redis.presenceAdd(
      userKey(user),
      nodeKey(ref.node),
      NODES,
      now,
      now + this.ttlMs,
      member(ref),
      user,
      this.ttlMs * 2,
      ref.node,
    );
    return { cameOnline: Number(before) === 0 };
  }

  async removeConnection(user: string, ref: ConnectionRef, opts: { lastOnNode: boolean }): Promise<{ wentOffline: boolean }> {
    const [removed, after] = await this.redis.presenceRemove(
      userKey(user),
      nodeKey(ref.node),
      this.now(),
      member(ref),
      user,
      opts.lastOnNode ? '1' : '0',
    );
    return { wentOffline: Number(removed) > 0 && Number(after) === 0 };
  }

  async refresh(node: string, connections: ReadonlyArray<{ user: string; connId: string }>): Promise<void> {
    const now = this.now();
    const expiresAt = now + this.ttlMs;
    const keyTtl = this.ttlMs * 2;
    const CHUNK = 500;
    for (let i = 0; i < connections.length; i += CHUNK) {
      const pipe = this.redis.pipeline();
      const users = new Set<string>();
      for (const c of connections.slice(i, i + CHUNK)) {
        pipe.zadd(userKey(c.user), expiresAt, member({ node, connId: c.connId }));
        pipe.pexpire(userKey(c.user), keyTtl);
        users.add(c.user);
      }
      pipe.sadd(nodeKey(node), ...users);
      await execOrThrow(pipe);
    }
    const pipe = this.redis.pipeline();
    pipe.pexpire(nodeKey(node), keyTtl);
    pipe.zadd(NODES, now, node);
    await execOrThrow(pipe);
  }

  async connectionsOf(users: readonly string[]): Promise<UserConnections[]> {
    if (users.length === 0) return [];
    const now = this.now();
    const pipe = this.redis.pipeline();
    for (const u of users) pipe.zrangebyscore(userKey(u), `(${now}`, '+inf');
    const results = await execOrThrow(pipe);
    const out: UserConnections[] = [];
    users.forEach((user, i) => {
      const members = (results[i] as string[] | undefined) ?? [];
      if (members.length === 0) return;
      out.push({
        user,
        connections: members.map((m) => {
          const bar = m.indexOf('|');
          return { node: m.slice(0, bar), connId: m.slice(bar + 1) };
        }),
      });
    });
    return out;
  }

  async isOnline(user: string): Promise<boolean> {
    return (await this.redis.zcount(userKey(user), `(${this.now()}`, '+inf')) > 0;
  }

  async sweepDeadNodes(selfNode: string): Promise<string[]> {
    const now = this.now();
    const dead = (await this.redis.zrangebyscore(NODES, '-inf', `(${now - this.deadAfterMs}`)).filter((n) => n !== selfNode);
    const offline: string[] = [];
    for (const node of dead) {
      const claimed = await this.redis.set(`presence:sweep:${node}`, selfNode, 'PX', Math.max(this.ttlMs, 10_000), 'NX');
      if (claimed === 'OK') offline.push(...(await this.clearNode(node)));
    }
    return offline;
  }

  async clearNode(node: string): Promise<string[]> {
    const now = this.now();
    const offline: string[] = [];
    for (const user of await this.redis.smembers(nodeKey(node))) {
      const [removed, after] = await this.redis.presenceSweepUser(userKey(user), now, `${node}|`);
      if (Number(removed) > 0 && Number(after) === 0) offline.push(user);
    }
    await this.redis.multi().del(nodeKey(node)).zrem(NODES, node).exec();
    return offline;
  }
}

async function execOrThrow(pipe: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipe.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
