/**
 * WebSocket gateway benchmark (prints figures; not a test).
 *
 *   node --import tsx bench/ws/run.ts
 *
 * 1. idle: N authenticated connections to one presence node, each sending
 *    heartbeats; reports the node's RSS per connection.
 * 2. fan-out: message frames into a 500-member group through the router's
 *    live push (presence lookup in Redis → node channel → sockets);
 *    reports frames/s received.
 * 3. latency: REST accept → WebSocket `message` frame at a fixed offered
 *    rate over 50 direct conversations, p50/p95/p99 (frontend and router
 *    spawned as their own processes), with the CPU each process used
 *    meanwhile (stack servers, frontend, router, presence, this generator).
 * Settings (environment): BENCH_WS_CONNECTIONS (10000), BENCH_WS_HOLD_S (30),
 * BENCH_WS_GROUP (500), BENCH_WS_FANOUT_MESSAGES (200), BENCH_WS_RATE (1000),
 * BENCH_WS_LATENCY_S (20, after BENCH_WS_WARMUP_S (10) at the same rate, unrecorded), BENCH_WS_NODE_OPTIONS (V8 flags for the presence
 * node, e.g. --max-old-space-size=256); KAFKA_PRODUCER_* settings are passed to
 * the services. Everything runs on 127.0.0.1
 * against the local stack.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { AccessTokens, createLogger, createRedis } from '@hub/platform';
import { envWithPrefix } from '../../test/support/service-env';
import { parseEnvFile, REPO_ROOT } from '../../test/support/stack-env';
import { onSignalCleanup } from '../../scripts/own-session';
import { spawnService, type ServiceProcess } from '../../test/support/spawn-service';
import { cleanupTestEnv, testFrontendEnv } from '../../test/support/identity';
import { Fanout, LivePush, RedisNodeBus, RedisPresenceStore } from '@hub/push';
import { measureLatency, percentiles } from './latency';
import { stackServers } from '../pipeline/cpu';

const N = Number(process.env.BENCH_WS_CONNECTIONS ?? 10_000);
const HOLD_S = Number(process.env.BENCH_WS_HOLD_S ?? 30);
const GROUP = Number(process.env.BENCH_WS_GROUP ?? 500);
const FANOUT_MESSAGES = Number(process.env.BENCH_WS_FANOUT_MESSAGES ?? 200);
const RATE = Number(process.env.BENCH_WS_RATE ?? 1_000);
const LATENCY_S = Number(process.env.BENCH_WS_LATENCY_S ?? 20);
const WARMUP_S = Number(process.env.BENCH_WS_WARMUP_S ?? 10);
const HEARTBEAT_MS = 10_000;
const DEADLINE = Date.now() + 10 * 60_000;

const say = (msg: string) => process.stdout.write(`[bench/ws] ${msg}\n`);
const summary: Record<string, string> = {};

function stackUp(): void {
  const stackDir = process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack');
  execFileSync('bash', [join(REPO_ROOT, 'deploy/local/stack.sh'), 'up'], { stdio: 'ignore' });
  for (const [k, v] of Object.entries(parseEnvFile(join(stackDir, 'env')))) process.env[k] ??= v;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** V8 heap in use in the node (its /metrics). */
async function heapMb(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)/m.exec(metrics)?.[1] ?? NaN) / 1_048_576;
}

interface Client {
  ws: WebSocket;
  user: string;
  received: number;
  onFrame?: (f: { op: string; d: any }) => void;
}

async function connectAll(node: ServiceProcess, tokens: AccessTokens, count: number, prefix: string): Promise<Client[]> {
  const clients: Client[] = [];
  const url = `${node.url.replace('http', 'ws')}/v1/ws`;
  const BATCH = 250;
  for (let i = 0; i < count; i += BATCH) {
    if (Date.now() > DEADLINE) throw new Error('bench deadline reached while connecting');
    const batch = await Promise.all(
      Array.from({ length: Math.min(BATCH, count - i) }, async (_, k) => {
        const user = `${prefix}${i + k}`;
        const token = await tokens.issue({
          kind: 'user',
          subject: user,
          scopes: ['messages:send', 'messages:read'],
          sessionId: randomUUID(),
        });
        const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
        const client: Client = { ws, user, received: 0 };
        await new Promise<void>((resolve, reject) => {
          ws.once('error', reject);
          ws.on('message', (data) => {
            client.received += 1;
            const f = JSON.parse(data.toString()) as { op: string; d: any };
            if (f.op === 'hello') resolve();
            client.onFrame?.(f);
          });
        });
        // Heartbeats, spread over the interval so they don't all land at once.
        setTimeout(() => {
          const t = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"op":"ping"}'), HEARTBEAT_MS);
          ws.once('close', () => clearInterval(t));
        }, Math.random() * HEARTBEAT_MS).unref();
        return client;
      }),
    );
    clients.push(...batch);
    if ((i + BATCH) % 1000 === 0 || i + BATCH >= count) say(`  connected ${clients.length}/${count}`);
  }
  return clients;
}

async function main(): Promise<void> {
  stackUp();
  // KAFKA_PRODUCER_* settings from the environment reach the services, to compare configurations.
  const env = testFrontendEnv({
    ...envWithPrefix('KAFKA_PRODUCER_'),
    LOG_LEVEL: 'info',
    PRESENCE_NODE_ID: 'bench-node',
    WS_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
    WS_HEARTBEAT_MISSES: '3',
    PRESENCE_TTL_MS: '60000',
    RATE_LIMIT_PER_MIN: '100000000',
  });
  // Ctrl-C skips the finally below: the services are stopped, then this removes the run's topics, keys and database.
  onSignalCleanup(() => cleanupTestEnv(env));
  const tokens = new AccessTokens({ secret: env.JWT_SECRET!, issuer: 'messaging-hub', accessTtlSeconds: 3600 });
  say(`starting a presence node…`);
  // BENCH_WS_NODE_OPTIONS: V8 flags for the presence node only (e.g. --max-old-space-size=256).
  const node = await spawnService(
    'presence',
    { ...env, ...(process.env.BENCH_WS_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_WS_NODE_OPTIONS } : {}) },
    { ownSession: true },
  );
  const pid = node.proc.pid!;
  const clients: Client[] = [];
  try {
    await new Promise((r) => setTimeout(r, 2_000));
    const baseline = rssMb(pid);
    const heapAtRest = await heapMb(node.url);
    say(`node pid ${pid}, RSS at rest ${baseline.toFixed(1)} MB`);

    // 1. idle connections
    say(`1/3 idle: opening ${N} authenticated connections…`);
    const started = Date.now();
    clients.push(...(await connectAll(node, tokens, N, 'idle-')));
    const connectS = (Date.now() - started) / 1000;
    say(`  ${N} connections in ${connectS.toFixed(1)} s; holding ${HOLD_S} s with heartbeats every ${HEARTBEAT_MS / 1000} s…`);
    let peak = 0;
    for (let s = 0; s < HOLD_S; s += 5) {
      await new Promise((r) => setTimeout(r, 5_000));
      peak = Math.max(peak, rssMb(pid));
      const open = clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
      say(`  t+${s + 5}s open ${open}, node RSS ${rssMb(pid).toFixed(1)} MB`);
    }
    const held = rssMb(pid);
    const open = clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
    summary['idle connections held'] = `${open}/${N} (opened in ${connectS.toFixed(1)} s)`;
    summary['node RSS at rest'] = `${baseline.toFixed(1)} MB`;
    summary['node RSS with connections'] = `${held.toFixed(1)} MB (peak ${peak.toFixed(1)} MB; target < 500 MB at 10,000)`;
    summary['RSS per connection'] = `${(((held - baseline) * 1024) / N).toFixed(1)} KB`;
    const heapHeld = await heapMb(node.url);
    summary['node heap used'] =
      `${heapAtRest.toFixed(1)} MB at rest, ${heapHeld.toFixed(1)} MB with connections = ${(((heapHeld - heapAtRest) * 1024) / N).toFixed(1)} KB per connection`;

    // 2. fan-out into a group
    const group = clients.slice(0, GROUP);
    say(`2/3 fan-out: ${FANOUT_MESSAGES} messages into a ${group.length}-member group…`);
    const redis = createRedis({ url: env.REDIS_URL!, keyPrefix: env.REDIS_KEY_PREFIX });
    const sub = createRedis({ url: env.REDIS_URL! });
    const logger = createLogger({ service: 'bench', level: 'warn' });
    const push = new LivePush(
      new Fanout(new RedisPresenceStore(redis, { ttlMs: 60_000 }), new RedisNodeBus(redis, sub, env.REDIS_KEY_PREFIX!, logger)),
    );
    const conversation = randomUUID();
    const groupMessage = (seq: number) => ({
      message_id: randomUUID(),
      conversation_id: conversation,
      from: 'bench-sender',
      to: group.map((c) => c.user),
      channels: ['internal' as const],
      payload: { type: 'text' as const, text: `fan-out ${seq}` },
      source: 'api' as const,
      accepted_at: new Date().toISOString(),
      submitted_by: 'client:bench',
      sequence_number: seq,
      stored_at: new Date().toISOString(),
    });
    // Warm-up message: each connection sees the conversation once (first sight reads the member's place from the store).
    let warmed = 0;
    for (const c of group) c.onFrame = (f) => void (f.op === 'message' && (warmed += 1));
    const warmStart = performance.now();
    await push.deliver(group.map((c) => ({ message: groupMessage(1), recipient: c.user, channel: 'internal' })));
    while (warmed < group.length && performance.now() - warmStart < 30_000) await new Promise((r) => setTimeout(r, 20));
    say(
      `  first message (first sight of the conversation on ${group.length} connections) took ${Math.round(performance.now() - warmStart)} ms`,
    );
    const expected = FANOUT_MESSAGES * group.length;
    let got = 0;
    let lastAt = 0;
    const allIn = new Promise<void>((resolve) => {
      for (const c of group)
        c.onFrame = (f) => {
          if (f.op !== 'message') return;
          got += 1;
          lastAt = performance.now();
          if (got === expected) resolve();
        };
    });
    const fanStart = performance.now();
    for (let seq = 2; seq <= FANOUT_MESSAGES + 1; seq++) {
      const message = groupMessage(seq);
      await push.deliver(group.map((c) => ({ message, recipient: c.user, channel: 'internal' })));
    }
    await Promise.race([allIn, new Promise((r) => setTimeout(r, 60_000))]);
    const fanS = (lastAt - fanStart) / 1000;
    summary['fan-out'] =
      `${got}/${expected} frames in ${fanS.toFixed(2)} s = ${Math.round(got / fanS)} frames/s (${group.length}-member group, ${FANOUT_MESSAGES} messages, router-side internal delivery → Redis → node → sockets)`;

    // 2b. The presence share of the latency: router-side delivery call → frame, at the offered rate.
    say(`2b: live push → frame at ${RATE} msg/s for ${LATENCY_S} s over ${group.length} recipients…`);
    const pushedAt = new Map<string, number>();
    const lat: number[] = [];
    const worstPerSecond: number[] = [];
    const total = RATE * LATENCY_S;
    const perConversation = new Map<string, number>();
    const convOf = (i: number) => `00000000-0000-7000-8000-${String(i % group.length).padStart(12, '0')}`;
    const messageFor = (k: number, recipient: string, conv: string, seq: number) => ({
      message_id: randomUUID(),
      conversation_id: conv,
      from: 'bench-sender',
      to: [recipient],
      channels: ['internal' as const],
      payload: { type: 'text' as const, text: `lat ${k}` },
      source: 'api' as const,
      accepted_at: new Date().toISOString(),
      submitted_by: 'client:bench',
      sequence_number: seq,
      stored_at: new Date().toISOString(),
    });
    // Warm-up: one message per conversation first, so each connection knows its conversation (as after a
    // connect, when memberships are loaded) and the timed run measures the live path, not first-sight reads.
    let warm = 0;
    for (const c of group) c.onFrame = (f) => void (f.op === 'message' && (warm += 1));
    await push.deliver(group.map((c, i) => ({ message: messageFor(-1, c.user, convOf(i), 1), recipient: c.user, channel: 'internal' })));
    for (let i = 0; i < group.length; i++) perConversation.set(convOf(i), 1);
    const warmDeadline = Date.now() + 20_000;
    while (warm < group.length && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 50));
    for (const c of group)
      c.onFrame = (f) => {
        if (f.op !== 'message') return;
        const t = pushedAt.get(f.d.message_id);
        if (t === undefined) return;
        pushedAt.delete(f.d.message_id);
        const ms = performance.now() - t;
        lat.push(ms);
        const second = Math.floor((t - latStart) / 1000);
        worstPerSecond[second] = Math.max(worstPerSecond[second] ?? 0, ms);
      };
    const latStart = performance.now();
    let k = 0;
    while (k < total) {
      const due = Math.min(total, Math.floor(((performance.now() - latStart) / 1000) * RATE));
      const batch = [];
      for (; k < due; k++) {
        const recipient = group[k % group.length]!;
        const conv = convOf(k);
        const seq = (perConversation.get(conv) ?? 0) + 1;
        perConversation.set(conv, seq);
        const message = messageFor(k, recipient.user, conv, seq);
        pushedAt.set(message.message_id, performance.now());
        batch.push({ message, recipient: recipient.user, channel: 'internal' });
      }
      if (batch.length > 0) await push.deliver(batch);
      await new Promise((r) => setTimeout(r, 5));
    }
    const latDeadline = Date.now() + 10_000;
    while (lat.length < total && Date.now() < latDeadline) await new Promise((r) => setTimeout(r, 50));
    summary['delivery → frame (presence)'] =
      `${percentiles(lat)} (${lat.length}/${total} frames at ${RATE} msg/s; worst per second: ${worstPerSecond.map((v) => Math.round(v)).join(', ')} ms)`;
    redis.disconnect();
    sub.disconnect();

    // 3. REST accept → frame, with the frontend and router as their own processes.
    for (const c of clients) c.ws.terminate();
    say(`3/3 latency: starting frontend and router…`);
    const [frontend, router] = await Promise.all([
      spawnService('frontend', env, { ownSession: true }),
      spawnService('router', env, { ownSession: true }),
    ]);
    try {
      // Where the time goes: CPU by process while the measured messages are sent.
      const watched = [
        ...stackServers(process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack')),
        { name: 'frontend', pid: frontend.proc.pid! },
        { name: 'router', pid: router.proc.pid! },
        { name: 'presence', pid: node.proc.pid! },
        { name: 'load generator', pid: process.pid },
      ];
      const r = await measureLatency({
        frontendUrl: frontend.url,
        presenceUrl: node.url,
        rate: RATE,
        seconds: LATENCY_S,
        warmupS: WARMUP_S,
        pairs: 50,
        say,
        watched,
      });
      summary['latency offered'] = `${RATE} msg/s for ${LATENCY_S} s: ${r.sent} sent, ${r.accepted} accepted (202), ${r.refused} refused${
        r.refused
          ? ` (${Object.entries(r.refusals)
              .map(([k, n]) => `${k}: ${n}`)
              .join(', ')})`
          : ''
      }, ${r.received} frames received`;
      summary['POST → 202'] = percentiles(r.acceptMs);
      summary['POST → message frame'] = percentiles(r.fromRequest);
      summary['202 → message frame'] = `${percentiles(r.fromAccepted)} (target p99 ≤ 200 ms)`;
      summary['accepted_at → frame'] = `${percentiles(r.fromAcceptedAt)} (server's accept stamp, ms clock)`;
      if (r.cpu) summary['CPU by process'] = `${r.cpu}, while the measured messages were sent`;
    } finally {
      await Promise.all([frontend.stop('SIGTERM'), router.stop('SIGTERM')]);
    }
  } finally {
    for (const c of clients) c.ws.terminate();
    await node.stop('SIGTERM');
    await cleanupTestEnv(env);
  }
  process.stdout.write('\n== bench/ws summary ==\n');
  for (const [k, v] of Object.entries(summary)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
}

const guard = setTimeout(
  () => {
    say('time limit reached; stopping');
    process.exit(2);
  },
  DEADLINE - Date.now() + 60_000,
);
guard.unref();
main().then(
  () => process.exit(0),
  (err: Error) => {
    say(`failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
