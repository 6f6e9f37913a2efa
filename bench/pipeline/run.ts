/**
 * Message pipeline benchmark: accept (POST /v1/messages) → Kafka → router →
 * MongoDB, on the local stack, next to two references measured the same way
 * in the same run: a bare Hono JSON echo route, and raw kafkajs producers.
 *
 *   node --import tsx bench/pipeline/run.ts
 *
 * Phases (BENCH_PHASES, default echo,kafka,max,rate; rate runs before max), each bounded:
 *   echo   bare Hono echo route under wrk                      BENCH_ECHO_S  (10)
 *   kafka  kafkajs: one awaited send per message from N loops,
 *          then a sendBatch loop of 500 records                BENCH_KAFKA_S (10 each)
 *   max    POST /v1/messages under wrk, N connections          BENCH_MAX_S   (60)
 *   rate   POST /v1/messages at a fixed offered rate           BENCH_RATE_S  (60), BENCH_RATE (1667 msg/s),
 *          measured after BENCH_WARMUP_S (10) at the same rate (cold JIT, new connections and the
 *          router's first fetches are not what "sustained" means)
 * BENCH_TRACING=compare: the max phase runs once per entry of BENCH_TRACING_ORDER
 *   (default off,on), frontend and router(s) restarted in between: `off` without
 *   an OTLP endpoint (tracing not loaded), `on` exporting (http/protobuf) to a
 *   sink in this process that accepts and discards, sampling BENCH_TRACING_RATIO
 *   (0.1) with parentbased_traceidratio. Prints the ratio of accepted msg/s on/off.
 * BENCH_LOADGEN=node: the max phase's load comes from a closed loop in this process
 *   (bench/pipeline/closed-loop.ts) instead of wrk (figures comparable only among such runs).
 * Other knobs: BENCH_CONNECTIONS (64), BENCH_USERS (40), BENCH_CONVERSATIONS (200),
 * BENCH_ROUTERS (1; ROUTER_* variables in the environment are passed to them; KAFKA_PRODUCER_* to frontend and routers), BENCH_DRAIN_S (90: longest wait for the router to catch up
 * after a phase), BENCH_PROFILE=1 (CPU profiles of frontend and router, top
 * functions printed at the end), BENCH_TRACE_GC=1 (frontend and router run
 * with --trace-gc; their stop-the-world pauses are summarised at the end).
 *
 * Both measured phases also print the CPU each process used (the local
 * stack's servers from its pid files, frontend, router(s), the load
 * generator or wrk) as a share of one core: where the time goes when the
 * whole stack shares the machine.
 *
 * Spawns its own frontend and router(s) with a private namespace on the
 * stack (stack settings from the environment, else .stack/env).
 */
import { spawn } from 'node:child_process';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { MESSAGE_ACCEPTED, makeEnvelope, newId, type MessageEvent } from '@hub/domain';
import { adminToken, cleanupTestEnv, createApiClient, testFrontendEnv } from '../../test/support/identity';
import { onSignalCleanup } from '../../scripts/own-session';
import { spawnService, type ServiceProcess } from '../../test/support/spawn-service';
import { summarizeGcPauses } from './gc-pauses';
import { envWithPrefix } from '../../test/support/service-env';
import { parseEnvFile, REPO_ROOT, STACK_KEYS } from '../../test/support/stack-env';
import { buckets, percentile, quantileFromBuckets, scrape, sumByLabel, sumMetric } from './metrics';
import { cpuShares, stackServers, type Watched } from './cpu';
import { summarizeProfile } from './profile';
import { runClosedLoop } from './closed-loop';
import { assertWrkInstalled, runWrk, type WrkResult } from './wrk';

const num = (name: string, def: number) => Number(process.env[name] ?? def);
const cfg = {
  phases: (process.env.BENCH_PHASES ?? 'echo,kafka,max,rate').split(',').map((s) => s.trim()),
  echoS: num('BENCH_ECHO_S', 10),
  kafkaS: num('BENCH_KAFKA_S', 10),
  maxS: num('BENCH_MAX_S', 60),
  rateS: num('BENCH_RATE_S', 60),
  rate: num('BENCH_RATE', 1667),
  warmupS: num('BENCH_WARMUP_S', 10),
  connections: num('BENCH_CONNECTIONS', 64),
  users: num('BENCH_USERS', 40),
  conversations: num('BENCH_CONVERSATIONS', 200),
  routers: num('BENCH_ROUTERS', 1),
  drainS: num('BENCH_DRAIN_S', 90),
  profile: process.env.BENCH_PROFILE === '1',
  traceGc: process.env.BENCH_TRACE_GC === '1',
  /** Load generator of the max phase: wrk, or `node` (bench/pipeline/closed-loop.ts) where wrk is not installed. */
  loadgen: process.env.BENCH_LOADGEN === 'node' ? ('node' as const) : ('wrk' as const),
  tracing: process.env.BENCH_TRACING === 'compare',
  tracingOrder: (process.env.BENCH_TRACING_ORDER ?? 'off,on').split(',').map((s) => s.trim()) as Array<'on' | 'off'>,
  tracingRatio: num('BENCH_TRACING_RATIO', 0.1),
};
const say = (line: string) => process.stdout.write(`bench/pipeline: ${line}\n`);
const fmt = (n: number, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a';
const ms = (s: number) => (s === Infinity ? '> 60 s' : `${fmt(s * 1000, 1)} ms`);
const msInt = (s: number) => (s === Infinity ? '> 60,000' : fmt(s * 1000, 0));
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const WORDS =
  'the order shipped today please confirm delivery window tomorrow morning invoice attached thanks for your patience we will call you back about the appointment reschedule your package is waiting at the pickup point'.split(
    ' ',
  );
function text(): string {
  const n = 4 + Math.floor(Math.random() * 40);
  return Array.from({ length: n }, () => WORDS[Math.floor(Math.random() * WORDS.length)]).join(' ');
}

interface Row {
  figure: string;
  value: string;
  target: string;
  verdict?: string;
}
const rows: Row[] = [];

async function main(): Promise<void> {
  const stackFile = parseEnvFile(join(REPO_ROOT, '.stack', 'env'));
  for (const k of STACK_KEYS) process.env[k] ??= stackFile[k];
  const missing = STACK_KEYS.filter((k) => !process.env[k]);
  if (missing.length) throw new Error(`stack settings missing (${missing.join(', ')}): run npm run stack:up`);
  const wrkPhases = cfg.phases.filter((p) => p === 'echo' || (p === 'max' && cfg.loadgen === 'wrk'));
  if (wrkPhases.length > 0) assertWrkInstalled(wrkPhases);

  say(
    `machine: ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; phases ${cfg.phases.join(',')}; ${cfg.connections} connections`,
  );
  const profileDir = cfg.profile ? mkdtempSync(join(tmpdir(), 'bench-pipeline-prof-')) : undefined;
  // KAFKA_PRODUCER_* settings from the environment reach frontend and router(s), to compare configurations.
  const env = testFrontendEnv({ RATE_LIMIT_PER_MIN: '100000000', LOG_LEVEL: 'info', ...envWithPrefix('KAFKA_PRODUCER_') });
  // Ctrl-C skips the finally below: the services are stopped, then this removes the run's topics, keys and database.
  onSignalCleanup(() => cleanupTestEnv(env));
  const nodeArgs = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(cfg.traceGc ? ['--trace-gc'] : [])];
  const started: ServiceProcess[] = [];
  try {
    if (cfg.phases.includes('echo')) await echoPhase();
    if (cfg.phases.includes('kafka')) await kafkaPhase(env);

    if (cfg.tracing && cfg.phases.includes('max')) {
      await tracingComparison(env, nodeArgs, started);
    } else if (cfg.phases.includes('max') || cfg.phases.includes('rate')) {
      const { frontend, routers } = await startServices(env, nodeArgs, started);
      const setup = await prepare(frontend.url, env);
      say(`setup: ${setup.conversations.length} conversations among ${cfg.users} users; API client token ready`);
      const persisted = async () => sumMetric(await Promise.all(routers.map((r) => scrape(r.url))), 'hub_messages_persisted_total');
      // The fixed rate first: it measures latency, which a backlog left by the max phase would swamp.
      // CPU by process during each measured phase: the stack's servers, the services, this generator (wrk in the max phase).
      const watched: Watched[] = [
        ...stackServers(process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack')),
        { name: 'frontend', pid: frontend.proc.pid! },
        ...routers.map((r, i) => ({ name: routers.length > 1 ? `router ${i + 1}` : 'router', pid: r.proc.pid! })),
      ];
      if (cfg.phases.includes('rate'))
        await ratePhase(frontend.url, setup, routers, persisted, [...watched, { name: 'load generator', pid: process.pid }]);
      if (cfg.phases.includes('max')) await maxPhase(frontend.url, setup, routers, persisted, watched);
    }
  } finally {
    for (const s of [...started].reverse()) await s.stop('SIGTERM');
    await cleanupTestEnv(env);
  }
  if (cfg.traceGc) {
    for (const s of started) {
      const pauses = summarizeGcPauses(s.output);
      say(`GC pauses, ${s.name} (whole run): ${pauses}`);
      rows.push({ figure: `GC pauses, ${s.name} (whole run)`, value: pauses, target: '(stop-the-world)' });
    }
  }

  if (profileDir) {
    await sleep(500);
    for (const f of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      say(`profile ${f}:`);
      for (const line of summarizeProfile(JSON.parse(readFileSync(join(profileDir, f), 'utf8')), 15)) say(`  ${line}`);
    }
    say(`profiles kept in ${profileDir} (open in Chrome DevTools → Performance)`);
  }

  say('');
  say('summary');
  const w = [
    Math.max(...rows.map((r) => r.figure.length)),
    Math.max(...rows.map((r) => r.value.length)),
    Math.max(...rows.map((r) => r.target.length)),
  ];
  say(`${'figure'.padEnd(w[0]!)} | ${'measured'.padEnd(w[1]!)} | ${'target / reference'.padEnd(w[2]!)} | verdict`);
  say(`${'-'.repeat(w[0]!)}-+-${'-'.repeat(w[1]!)}-+-${'-'.repeat(w[2]!)}-+--------`);
  for (const r of rows) say(`${r.figure.padEnd(w[0]!)} | ${r.value.padEnd(w[1]!)} | ${r.target.padEnd(w[2]!)} | ${r.verdict ?? ''}`);
  say(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

async function echoPhase(): Promise<void> {
  say(`echo: bare Hono JSON echo route, wrk ${cfg.connections} connections, ${cfg.echoS} s…`);
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/pipeline/echo-server.ts')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('echo server did not start')), 30_000);
      proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        const m = /"port":(\d+)/.exec(chunk);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const body = JSON.stringify({ conversation_id: newId(), from: 'alice', payload: { type: 'text', text: text() } }).replace(/'/g, '');
    const r = await runWrk({
      url: `http://127.0.0.1:${port}/echo`,
      seconds: cfg.echoS,
      connections: cfg.connections,
      requestLua: `local body = '${body}'\nrequest = function() return wrk.format('POST', '/echo', { ['Content-Type'] = 'application/json' }, body) end`,
    }).result;
    say(`echo: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`);
    rows.push({
      figure: 'bare Hono echo route (wrk)',
      value: `${fmt(r.rps)} req/s, p99 ${fmt(r.p99, 1)} ms`,
      target: 'reference (~60,000 req/s quoted)',
    });
  } finally {
    proc.kill('SIGTERM');
  }
}

async function kafkaPhase(env: Record<string, string>): Promise<void> {
  const kafka = new Kafka({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 'bench-kafka', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${env.KAFKA_NAME_PREFIX}bench.raw`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const convs = Array.from({ length: 200 }, () => newId());
  const record = () => {
    const conv = convs[Math.floor(Math.random() * convs.length)]!;
    const e: MessageEvent = {
      message_id: newId(),
      conversation_id: conv,
      from: 'alice',
      to: ['bob'],
      channels: ['internal'],
      payload: { type: 'text', text: text() },
      source: 'api',
      accepted_at: new Date().toISOString(),
      submitted_by: 'client:bench',
      trace_id: randomUUID().replace(/-/g, ''),
    };
    return { key: conv, value: JSON.stringify(makeEnvelope(MESSAGE_ACCEPTED, e)) };
  };
  try {
    say(`kafka: one awaited send per message from ${cfg.connections} concurrent loops, ${cfg.kafkaS} s…`);
    let single = 0;
    const until = Date.now() + cfg.kafkaS * 1000;
    await Promise.all(
      Array.from({ length: cfg.connections }, async () => {
        while (Date.now() < until) {
          await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: [record()] });
          single++;
        }
      }),
    );
    const singleRate = single / cfg.kafkaS;
    say(`kafka: awaited send: ${fmt(singleRate)} msg/s`);
    rows.push({
      figure: 'kafkajs: one awaited send per message',
      value: `${fmt(singleRate)} msg/s`,
      target: 'reference (~2,000 msg/s quoted)',
    });

    say(`kafka: sendBatch loop, 500 records per call, ${cfg.kafkaS} s…`);
    let batched = 0;
    const until2 = Date.now() + cfg.kafkaS * 1000;
    while (Date.now() < until2) {
      const messages = Array.from({ length: 500 }, record);
      await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: [{ topic, messages }] });
      batched += messages.length;
    }
    const batchRate = batched / cfg.kafkaS;
    say(`kafka: sendBatch loop: ${fmt(batchRate)} msg/s`);
    rows.push({
      figure: 'kafkajs: sendBatch loop (500/call)',
      value: `${fmt(batchRate)} msg/s`,
      target: 'reference (ceiling of the producer)',
    });
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

interface Setup {
  token: string;
  conversations: Array<{ id: string; from: string }>;
}

async function prepare(url: string, env: Record<string, string>): Promise<Setup> {
  const admin = await adminToken(url, env);
  const client = await createApiClient(url, admin, ['messages:send', 'messages:read'], { rate_limit_per_min: 1_000_000 });
  const users = Array.from({ length: cfg.users }, (_, i) => `bench-${i}-${randomUUID().slice(0, 6)}`);
  for (let i = 0; i < users.length; i += 8) {
    await Promise.all(
      users.slice(i, i + 8).map(async (username) => {
        const r = await fetch(`${url}/v1/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password: `pw-${randomUUID()}` }),
        });
        if (!r.ok) throw new Error(`register: ${r.status} ${await r.text()}`);
      }),
    );
  }
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < users.length && pairs.length < cfg.conversations; i++)
    for (let j = i + 1; j < users.length && pairs.length < cfg.conversations; j++) pairs.push([users[i]!, users[j]!]);
  const conversations: Setup['conversations'] = [];
  for (let i = 0; i < pairs.length; i += 8) {
    await Promise.all(
      pairs.slice(i, i + 8).map(async ([a, b]) => {
        const r = await fetch(`${url}/v1/conversations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${client.accessToken}` },
          body: JSON.stringify({ type: 'direct', members: [a, b] }),
        });
        if (!r.ok) throw new Error(`conversation: ${r.status} ${await r.text()}`);
        conversations.push({ id: ((await r.json()) as { conversation_id: string }).conversation_id, from: Math.random() < 0.5 ? a : b });
      }),
    );
  }
  return { token: client.accessToken, conversations };
}

/** Where the router's batches spent their time between two scrapes (hub_router_batch_step_seconds). */
function stepBreakdown(before: string[], after: string[]): string {
  const sum = (t: string[]) => sumByLabel(t, 'hub_router_batch_step_seconds_sum', 'step');
  const [s0, s1] = [sum(before), sum(after)];
  const batches =
    sumMetric(after, 'hub_router_batch_duration_seconds_count') - sumMetric(before, 'hub_router_batch_duration_seconds_count');
  const records = sumMetric(after, 'hub_router_batch_records_sum') - sumMetric(before, 'hub_router_batch_records_sum');
  const steps = [...s1.keys()].map((k) => [k, (s1.get(k) ?? 0) - (s0.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
  const total = steps.reduce((a, [, v]) => a + v, 0);
  if (batches <= 0 || total <= 0) return 'no batches';
  return `${fmt(batches)} batches, ${fmt(records / batches)} records each; mean batch ${fmt((total / batches) * 1000)} ms = ${steps
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmt((100 * v) / total)}%`)
    .join(', ')}`;
}

async function drain(target: number, persisted: () => Promise<number>, label: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const p = await persisted();
    if (p >= target) return (Date.now() - t0) / 1000;
    if (Date.now() - t0 > cfg.drainS * 1000) {
      say(`${label}: router still ${fmt(target - p)} messages behind after ${cfg.drainS} s; going on`);
      return NaN;
    }
    await sleep(250);
  }
}

async function startServices(
  env: Record<string, string>,
  nodeArgs: string[],
  started: ServiceProcess[],
): Promise<{ frontend: ServiceProcess; routers: ServiceProcess[] }> {
  say('starting frontend and router(s)…');
  const frontend = await spawnService('frontend', env, { nodeArgs, ownSession: true });
  started.push(frontend);
  const routers: ServiceProcess[] = [];
  for (let i = 0; i < cfg.routers; i++) {
    // ROUTER_* settings from the environment reach the router(s), to compare configurations.
    const routerEnv = { ...env, ...envWithPrefix('ROUTER_') };
    const r = await spawnService('router', routerEnv, { nodeArgs, ownSession: true });
    routers.push(r);
    started.push(r);
  }
  return { frontend, routers };
}

/** An OTLP/HTTP endpoint that reads and discards whatever it is sent (the tracing backend's share of the cost is not the hub's). */
async function startOtlpSink(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The max phase with tracing off and on, services restarted in between, in one run: the ratio of accepted msg/s. */
async function tracingComparison(env: Record<string, string>, nodeArgs: string[], started: ServiceProcess[]): Promise<void> {
  const sink = await startOtlpSink();
  const rates: Record<string, number[]> = { on: [], off: [] };
  let setup: Setup | undefined;
  try {
    for (const mode of cfg.tracingOrder) {
      const modeEnv =
        mode === 'on'
          ? {
              ...env,
              OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
              OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
              OTEL_TRACES_SAMPLER_ARG: String(cfg.tracingRatio),
            }
          : env;
      const mine: ServiceProcess[] = [];
      const { frontend, routers } = await startServices(modeEnv, nodeArgs, mine);
      started.push(...mine);
      try {
        setup ??= await prepare(frontend.url, env);
        const persisted = async () => sumMetric(await Promise.all(routers.map((r) => scrape(r.url))), 'hub_messages_persisted_total');
        const watched: Watched[] = [
          ...stackServers(process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack')),
          { name: 'frontend', pid: frontend.proc.pid! },
          ...routers.map((r, i) => ({ name: routers.length > 1 ? `router ${i + 1}` : 'router', pid: r.proc.pid! })),
        ];
        say(`tracing ${mode}${mode === 'on' ? ` (sampling ${cfg.tracingRatio})` : ''}:`);
        rates[mode]!.push(await maxPhase(frontend.url, setup, routers, persisted, watched, `tracing ${mode}`));
      } finally {
        for (const s of mine.reverse()) await s.stop('SIGTERM');
        started.splice(0, started.length, ...started.filter((s) => !mine.includes(s)));
      }
    }
  } finally {
    await sink.close();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const ratio = mean(rates.on!) / mean(rates.off!);
  say(
    `tracing: accepted msg/s on ${rates.on!.map((x) => fmt(x)).join(', ')} / off ${rates.off!.map((x) => fmt(x)).join(', ')}; ratio ${fmt(ratio, 3)}; the sink received ${sink.requests()} export requests`,
  );
  rows.push({
    figure: `accepted msg/s, tracing on (${cfg.tracingRatio} sampled) / off`,
    value: `${fmt(ratio, 3)} (${rates.on!.map((x) => fmt(x)).join(', ')} / ${rates.off!.map((x) => fmt(x)).join(', ')} msg/s)`,
    target: '≥ 0.9',
    verdict: ratio >= 0.9 ? 'met' : 'missed',
  });
}

async function maxPhase(
  url: string,
  setup: Setup,
  routers: ServiceProcess[],
  persisted: () => Promise<number>,
  watched: Watched[],
  label = '',
): Promise<number> {
  const tag = label ? ` (${label})` : '';
  say(`max: POST /v1/messages, wrk ${cfg.connections} connections, ${cfg.maxS} s…`);
  const lua = `local convs = { ${setup.conversations.map((c) => `{ '${c.id}', '${c.from}' }`).join(', ')} }
local words = { ${WORDS.map((w) => `'${w}'`).join(', ')} }
local token = '${setup.token}'
local headers = { ['Content-Type'] = 'application/json', ['Authorization'] = 'Bearer ' .. token }
request = function()
  local c = convs[math.random(#convs)]
  local n = math.random(4, 44)
  local t = {}
  for i = 1, n do t[i] = words[math.random(#words)] end
  local body = '{"conversation_id":"' .. c[1] .. '","from":"' .. c[2] .. '","payload":{"type":"text","text":"' .. table.concat(t, ' ') .. '"}}'
  return wrk.format('POST', '/v1/messages', headers, body)
end`;
  const before = await persisted();
  const scrape0 = await Promise.all(routers.map((x) => scrape(x.url)));
  const front0 = await scrape(url);
  const t0 = Date.now();
  const wrk =
    cfg.loadgen === 'wrk'
      ? runWrk({ url, seconds: cfg.maxS, connections: cfg.connections, requestLua: lua })
      : runClosedLoop({
          url,
          seconds: cfg.maxS,
          connections: cfg.connections,
          path: '/v1/messages',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${setup.token}` },
          body: () => {
            const c = setup.conversations[Math.floor(Math.random() * setup.conversations.length)]!;
            return JSON.stringify({ conversation_id: c.id, from: c.from, payload: { type: 'text', text: text() } });
          },
        });
  const cpu = cpuShares(wrk.pid ? [...watched, { name: 'wrk', pid: wrk.pid }] : [...watched, { name: 'load generator', pid: process.pid }]);
  let done = false;
  let r: WrkResult | undefined;
  void wrk.result.then(
    (x) => {
      cpu.stop(); // at the end of the load, not up to 5 s later
      r = x;
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    await sleep(5_000);
    if (!done) say(`max: ${fmt((Date.now() - t0) / 1000)} s, router stored ${fmt((await persisted()) - before)} so far`);
  }
  const cpuByProcess = cpu.stop();
  r ??= await wrk.result;
  const accepted = r.requests - r.non2xx;
  say(`max: CPU by process: ${cpuByProcess}`);
  rows.push({ figure: `CPU by process (max phase${tag})`, value: cpuByProcess, target: '(2 cores = 200 %)' });
  const storedDuring = (await persisted()) - before;
  const front1 = await scrape(url);
  const mean = (name: string) =>
    (sumMetric([front1], `${name}_sum`) - sumMetric([front0], `${name}_sum`)) /
    Math.max(1, sumMetric([front1], `${name}_count`) - sumMetric([front0], `${name}_count`));
  const split = `frontend mean: request ${fmt(mean('hub_message_accept_seconds') * 1000, 1)} ms, of which waiting for the Kafka ack ${fmt(mean('hub_message_accept_publish_seconds') * 1000, 1)} ms`;
  say(`max: ${split}`);
  say(
    `max: ${fmt(accepted)} accepted in ${fmt(r.seconds, 1)} s = ${fmt(accepted / r.seconds)} msg/s; non-2xx ${r.non2xx}, socket errors ${r.socketErrors}; latency p50 ${fmt(r.p50, 2)} ms, p95 ${fmt(r.p95, 2)} ms, p99 ${fmt(r.p99, 2)} ms`,
  );
  say(`max: router stored ${fmt(storedDuring)} during the phase (${fmt(storedDuring / r.seconds)} msg/s); waiting for it to catch up…`);
  const drainS = await drain(before + accepted, persisted, 'max');
  if (Number.isFinite(drainS)) say(`max: router caught up ${fmt(drainS, 1)} s after the load stopped`);
  const steps = stepBreakdown(scrape0, await Promise.all(routers.map((x) => scrape(x.url))));
  say(`max: router time by step: ${steps}`);
  rows.push({
    figure: `accepted msg/s (wrk -c${cfg.connections}, ${cfg.maxS} s)${tag}`,
    value: `${fmt(accepted / r.seconds)} msg/s (${r.non2xx} non-2xx)`,
    target: '≥ 5,000 msg/s for 60 s',
    verdict: accepted / r.seconds >= 5000 && cfg.maxS >= 60 ? 'met' : 'missed',
  });
  rows.push({
    figure: 'accept latency p50 / p95 / p99',
    value: `${fmt(r.p50, 1)} / ${fmt(r.p95, 1)} / ${fmt(r.p99, 1)} ms`,
    target: 'p99 ≤ 50 ms',
    verdict: r.p99 <= 50 ? 'met' : 'missed',
  });
  rows.push({
    figure: 'frontend time per accept (max phase)',
    value: split.replace('frontend mean: ', ''),
    target: '(where the frontend waits)',
  });
  rows.push({ figure: 'router batch time by step (max phase)', value: steps, target: '(where the router waits)' });
  rows.push({
    figure: `router store rate under max load${tag}`,
    value: `${fmt(storedDuring / r.seconds)} msg/s; caught up ${Number.isFinite(drainS) ? `${fmt(drainS, 1)} s` : 'not within BENCH_DRAIN_S'} after`,
    target: '(keeps up with accepts?)',
  });
  return accepted / r.seconds;
}

async function ratePhase(
  url: string,
  setup: Setup,
  routers: ServiceProcess[],
  persisted: () => Promise<number>,
  watched: Watched[],
): Promise<void> {
  say(
    `rate: POST /v1/messages at ${fmt(cfg.rate)} msg/s offered for ${cfg.warmupS} s of warm-up, then ${cfg.rateS} s measured (open loop)…`,
  );
  // Snapshots taken when the warm-up ends; what the services did before is not counted.
  let before = 0;
  let scrape0: string[] = [];
  let hist0 = new Map<number, number>();
  let front0 = '';
  let measureFrom = Infinity;
  let cpu: ReturnType<typeof cpuShares> | undefined;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const failures = new Map<string, number>();
  let inFlight = 0;
  let skipped = 0;
  const maxInFlight = 2_000;
  // node:http with a keep-alive pool: far less CPU per request than fetch, so the generator itself keeps the rate.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(`${url}/v1/messages`);
  const send = (scheduledAt: number) =>
    new Promise<void>((resolve) => {
      const c = setup.conversations[Math.floor(Math.random() * setup.conversations.length)]!;
      const body = JSON.stringify({ conversation_id: c.id, from: c.from, payload: { type: 'text', text: text() } });
      inFlight++;
      const done = (good: boolean, why?: string) => {
        inFlight--;
        if (scheduledAt < measureFrom) return resolve();
        if (!good) failures.set(why ?? 'unknown', (failures.get(why ?? 'unknown') ?? 0) + 1);
        // From the scheduled send time, so time spent queued behind slow answers counts (no coordinated omission).
        if (good) {
          ok++;
          latencies.push(performance.now() - scheduledAt);
        } else failed++;
        resolve();
      };
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${setup.token}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode === 202, `HTTP ${res.statusCode}`));
          res.on('error', (err) => done(false, (err as NodeJS.ErrnoException).code ?? err.message));
        },
      );
      req.on('error', (err) => done(false, (err as NodeJS.ErrnoException).code ?? err.message));
      req.end(body);
    });
  // Event-loop stalls of frontend and router (prom-client resets the max at every scrape).
  let frontLag = 0;
  let routerLag = 0;
  const ownLag = monitorEventLoopDelay({ resolution: 10 });
  ownLag.enable();
  const lagPoll = setInterval(() => {
    void scrape(url).then(
      (t) => (frontLag = Math.max(frontLag, sumMetric([t], 'nodejs_eventloop_lag_max_seconds'))),
      () => {},
    );
    void Promise.all(routers.map((r) => scrape(r.url))).then(
      (ts) => (routerLag = Math.max(routerLag, ...ts.map((t) => sumMetric([t], 'nodejs_eventloop_lag_max_seconds')))),
      () => {},
    );
  }, 1_000);
  const start = performance.now();
  let t0 = start;
  let sent = 0;
  let all = 0;
  let lastReport = Date.now();
  const pending: Promise<void>[] = [];
  // Open loop: requests leave on schedule whether or not earlier ones answered.
  while (performance.now() - start < (cfg.warmupS + cfg.rateS) * 1000) {
    if (measureFrom === Infinity && performance.now() - start >= cfg.warmupS * 1000) {
      before = await persisted();
      scrape0 = await Promise.all(routers.map((r) => scrape(r.url)));
      hist0 = buckets(scrape0, 'hub_message_accept_to_persist_seconds');
      front0 = await scrape(url);
      frontLag = 0;
      routerLag = 0;
      ownLag.reset();
      t0 = measureFrom = start + (all / cfg.rate) * 1000;
      cpu = cpuShares(watched);
      say(`rate: warm-up done (${fmt(all)} sent); measuring`);
    }
    const due = Math.floor(((performance.now() - start) / 1000) * cfg.rate);
    while (all < due) {
      const at = start + (all / cfg.rate) * 1000;
      const measured = at >= measureFrom;
      if (inFlight >= maxInFlight) {
        if (measured) skipped++;
      } else pending.push(send(at));
      if (measured) sent++;
      all++;
    }
    // Drops references to old sends; send() never rejects (it resolves with the outcome), so nothing is lost.
    if (pending.length > 10_000) void pending.splice(0, pending.length - 2_000);
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      say(
        `rate: ${fmt((performance.now() - start) / 1000)} s, ${fmt(ok)} accepted, ${fmt(inFlight)} in flight, router stored ${fmt((await persisted()) - before)}`,
      );
    }
    await sleep(2);
  }
  const cpuByProcess = cpu?.stop() ?? 'n/a';
  await Promise.all(pending);
  clearInterval(lagPoll);
  agent.destroy();
  const seconds = (performance.now() - t0) / 1000;
  say(
    `rate: offered ${fmt(sent)} (${fmt(sent / cfg.rateS)} msg/s), accepted ${fmt(ok)} (${fmt(ok / seconds)} msg/s), failed ${failed}${failures.size ? ` (${[...failures].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}, not sent (over ${maxInFlight} in flight) ${skipped}; waiting for the router…`,
  );
  const front1 = await scrape(url);
  const fq = (name: string, q: number) => quantileFromBuckets(buckets([front0], name), buckets([front1], name), q);
  const frontSplit = `request p50 ${ms(fq('hub_message_accept_seconds', 0.5))} / p99 ${ms(fq('hub_message_accept_seconds', 0.99))}; Kafka ack p50 ${ms(fq('hub_message_accept_publish_seconds', 0.5))} / p99 ${ms(fq('hub_message_accept_publish_seconds', 0.99))}`;
  say(`rate: frontend (server side): ${frontSplit}`);
  ownLag.disable();
  say(
    `rate: longest event-loop stall: frontend ${ms(frontLag)}, router ${ms(routerLag)}, this load generator ${ms(ownLag.max / 1e9)} (p99 ${ms(ownLag.percentile(99) / 1e9)})`,
  );
  say(`rate: CPU by process: ${cpuByProcess}`);
  rows.push({ figure: 'CPU by process (fixed rate)', value: cpuByProcess, target: '(2 cores = 200 %)' });
  rows.push({
    figure: 'fixed rate: longest event-loop stall',
    value: `frontend ${ms(frontLag)}, router ${ms(routerLag)}`,
    target: '(a stalled process delays everything it holds)',
  });
  rows.push({ figure: 'fixed rate: frontend time per accept', value: frontSplit, target: '(where the frontend waits)' });
  const drainS = await drain(before + ok, persisted, 'rate');
  const scrape1 = await Promise.all(routers.map((r) => scrape(r.url)));
  const hist1 = buckets(scrape1, 'hub_message_accept_to_persist_seconds');
  const steps = stepBreakdown(scrape0, scrape1);
  say(`rate: router time by step: ${steps}`);
  rows.push({ figure: 'router batch time by step (rate phase)', value: steps, target: '(where the router waits)' });
  const [p50, p95, p99] = [0.5, 0.95, 0.99].map((q) => quantileFromBuckets(hist0, hist1, q)) as [number, number, number];
  latencies.sort((a, b) => a - b);
  const [a50, a95, a99] = [0.5, 0.95, 0.99].map((q) => percentile(latencies, q)) as [number, number, number];
  say(`rate: accept latency p50 ${fmt(a50, 2)} ms, p95 ${fmt(a95, 2)} ms, p99 ${fmt(a99, 2)} ms`);
  say(
    `rate: accepted→persisted p50 ${ms(p50)}, p95 ${ms(p95)}, p99 ${ms(p99)} (router histogram, interpolated in its buckets)${Number.isFinite(drainS) ? `; caught up ${fmt(drainS, 1)} s after the load` : ''}`,
  );
  rows.push({
    figure: `fixed rate: accepted msg/s (offered ${fmt(cfg.rate)}, ${cfg.rateS} s)`,
    value: `${fmt(ok / seconds)} msg/s (${failed} failed${failures.size ? `: ${[...failures].map(([k, n]) => `${k} ${n}`).join(', ')}` : ''})`,
    target: `${fmt(cfg.rate)} msg/s offered`,
  });
  rows.push({
    figure: 'fixed rate: accept latency p50 / p95 / p99',
    value: `${fmt(a50, 1)} / ${fmt(a95, 1)} / ${fmt(a99, 1)} ms`,
    target: '(client-side)',
  });
  rows.push({
    figure: 'fixed rate: accepted→persisted p50 / p95 / p99',
    value: `${msInt(p50)} / ${msInt(p95)} / ${msInt(p99)} ms`,
    target: 'p99 ≤ 250 ms at 1,667 msg/s',
    verdict: cfg.rate >= 1667 && p99 <= 0.25 ? 'met' : 'missed',
  });
}

main().catch((err) => {
  process.stderr.write(`bench/pipeline failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
