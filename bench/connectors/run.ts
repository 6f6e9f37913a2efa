/**
 * Deliveries per second through the connectors' resilience wrapper and the
 * router's retry machinery, on a mock connector (WhatsApp mock: no network,
 * so the figures are the hub's own cost).
 *
 *   node --import tsx bench/connectors/run.ts
 *     BENCH_DURATION_S=5      seconds per in-process case
 *     BENCH_CONCURRENCY=64    concurrent callers in the in-process cases
 *     BENCH_MESSAGES=1000     messages in the stack case
 *     BENCH_FAILURE_RATE=0.2  transient failure share of the mock in the stack case
 *
 * 1. wrapper only: ResilientConnector.deliver on the mock (breaker, timeout,
 *    metrics; no rate limit), healthy and with 20 % transient failures;
 * 2. routing path + retry machinery on the local stack (MongoDB ledger,
 *    hub.retry.v1 on Kafka, retry worker, dead letters): messages fed to the
 *    external ChannelHandOver in routing batches, the mock failing a share of
 *    calls transiently, until every message is delivered or dead-lettered.
 *    Each message has its own lane (conversation × recipient), so what is
 *    measured is retry throughput, not lanes waiting for their head (with
 *    independent random failures nearly every lane would be waiting).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Registry } from 'prom-client';
import {
  ConnectorMetrics,
  createWhatsAppMock,
  FlexibleRateLimiter,
  ResilientConnector,
  type MockConnector,
} from '../../connectors/src/index';
import { parseEnvFile, REPO_ROOT, STACK_KEYS } from '../../test/support/stack-env';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 1000);
const FAILURE_RATE = Number(process.env.BENCH_FAILURE_RATE ?? 0.2);
const STACK_DEADLINE_S = 180;
const say = (line: string) => process.stdout.write(`bench/connectors: ${line}\n`);
const pct = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN;

interface Figures {
  name: string;
  perSecond: number;
  detail: string;
}

async function wrapperCase(name: string, failureRate: number, limited = false): Promise<Figures> {
  const mock = createWhatsAppMock({ seed: 7, failureRate });
  // Limits far above what is reached: the case measures what checking them costs.
  const rateLimiter = limited
    ? new FlexibleRateLimiter('bench', {
        overall: { points: 10_000_000, durationMs: 1_000 },
        perRecipient: { points: 1_000_000, durationMs: 1_000 },
      })
    : undefined;
  const wrapper = new ResilientConnector(
    mock,
    {
      timeoutMs: 5_000,
      maxRateWaitMs: 0,
      breaker: { errorThresholdPercentage: 90, volumeThreshold: 1_000_000, rollingWindowMs: 10_000, resetTimeoutMs: 1_000 },
      ...(rateLimiter ? { rateLimiter } : {}),
    },
    { metrics: ConnectorMetrics.for(new Registry()) },
  );
  const latencies: number[] = [];
  let delivered = 0;
  let retryable = 0;
  const until = performance.now() + DURATION_S * 1000;
  const progress = setInterval(() => say(`  ${name}: ${delivered} delivered, ${retryable} retryable so far`), 1_000);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      let i = 0;
      while (performance.now() < until) {
        const started = performance.now();
        const r = await wrapper.deliver({
          to: `49151${String(worker).padStart(4, '0')}${String(i++ % 1000).padStart(3, '0')}`,
          text: 'bench',
        });
        // A latency-free mock never yields to timers; let the progress line (and the deadline) through now and then.
        if (i % 256 === 0) await new Promise((r) => setImmediate(r));
        latencies.push(performance.now() - started);
        if (r.outcome === 'delivered') delivered++;
        else retryable++;
      }
    }),
  );
  clearInterval(progress);
  await wrapper.close();
  const calls = delivered + retryable;
  return {
    name,
    perSecond: delivered / DURATION_S,
    detail: `${(calls / DURATION_S).toFixed(0)} calls/s, ${retryable} retryable, call latency p50 ${pct(latencies, 50).toFixed(3)} ms p99 ${pct(latencies, 99).toFixed(3)} ms`,
  };
}

async function stackCase(): Promise<Figures> {
  const stackFile = join(REPO_ROOT, '.stack', 'env');
  if (!STACK_KEYS.every((k) => process.env[k])) {
    if (!existsSync(stackFile))
      throw new Error('no stack settings: run `npm run stack:up` first (or set KAFKA_BROKERS, MONGO_URL, ETCD_HOSTS, REDIS_URL, S3_*)');
    Object.assign(process.env, parseEnvFile(stackFile));
  }
  const { startOutboundFixture } = await import('../../services/router/test/outbound-fixture');
  const f = await startOutboundFixture({
    CONNECTORS_ENABLED: 'whatsapp',
    MOCK_CONNECTOR_LATENCY_MS: '1-3',
    MOCK_CONNECTOR_FAILURE_RATE: String(FAILURE_RATE),
    MOCK_CONNECTOR_SEED: '11',
    OUTBOUND_BACKOFF_BASE_MS: '100',
    CONNECTOR_BREAKER_ERROR_PERCENT: '90',
    CONNECTOR_BREAKER_VOLUME_THRESHOLD: '100000',
  });
  try {
    const mock = f.ext.connectors.get('whatsapp')!.connector as MockConnector;
    const recipients = 200;
    const users = Array.from({ length: recipients }, (_, i) => ({ name: `bench-${i}`, phone: `4915200${String(i).padStart(5, '0')}` }));
    say(`  linking ${recipients} recipients …`);
    for (const u of users) await f.mappings.link(u.name, 'whatsapp', u.phone);
    await new Promise((r) => setTimeout(r, 1_500));
    const started = new Map<string, number>();
    const batches: Array<ReturnType<typeof f.request>[]> = [];
    for (let i = 0; i < MESSAGES; i += 100) {
      batches.push(
        Array.from({ length: Math.min(100, MESSAGES - i) }, (_, k) => {
          const u = users[(i + k) % recipients]!;
          return f.request(f.message(randomUUID(), 1, { type: 'text', text: `bench ${i + k}` }, [u.name]), u.name, 'whatsapp');
        }),
      );
    }
    say(
      `  routing ${MESSAGES} messages to ${recipients} recipients in ${batches.length} batches (mock fails ${(FAILURE_RATE * 100).toFixed(0)} % transiently; backoff 100 ms doubling, 5 attempts) …`,
    );
    const t0 = performance.now();
    const outcomes = { sent: 0, retry: 0, failed: 0 };
    // Three partitions' worth of routing batches at once, like a router with ROUTER_PARTITION_CONCURRENCY=3.
    const queue = [...batches];
    let routed = 0;
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let b = queue.shift(); b; b = queue.shift()) {
          for (const r of b) started.set(r.message.message_id, performance.now());
          for (const o of await f.ext.handOver.deliver(b))
            outcomes[o.kind === 'sent' ? 'sent' : o.kind === 'failed' ? 'failed' : 'retry']++;
          routed += b.length;
          if (routed % 500 === 0) say(`  routed ${routed}/${MESSAGES}`);
        }
      }),
    );
    const routedMs = performance.now() - t0;
    say(
      `  routed in ${(routedMs / 1000).toFixed(1)} s: ${outcomes.sent} sent at once, ${outcomes.retry} to the retry topic, ${outcomes.failed} failed`,
    );
    const deadline = performance.now() + STACK_DEADLINE_S * 1000;
    const done = () => new Set(mock.sent.map((s) => s.text)).size + f.deadLetterRecords.length;
    let last = -1;
    while (done() < MESSAGES && performance.now() < deadline) {
      if (done() !== last)
        say(
          `  ${new Set(mock.sent.map((s) => s.text)).size} delivered, ${f.deadLetterRecords.length} dead-lettered, ${f.retryRecords.length} retry records so far`,
        );
      last = done();
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const totalMs = performance.now() - t0;
    const texts = new Map<string, number>();
    for (const s of mock.sent) texts.set(s.text!, (texts.get(s.text!) ?? 0) + 1);
    const duplicates = [...texts.values()].filter((n) => n > 1).length;
    const byText = new Map(batches.flat().map((r) => [(r.message.payload as { text: string }).text, r.message.message_id]));
    const latencies = mock.sent.map((s) => s.at - (performance.timeOrigin + started.get(byText.get(s.text!)!)!));
    const delivered = texts.size;
    if (done() < MESSAGES) say(`  (!) stopped at the ${STACK_DEADLINE_S} s bound with ${MESSAGES - done()} messages unfinished`);
    return {
      name: `routing + retries on the stack (${(FAILURE_RATE * 100).toFixed(0)} % transient failures)`,
      perSecond: delivered / (totalMs / 1000),
      detail: `${delivered}/${MESSAGES} delivered, ${f.deadLetterRecords.length} dead-lettered, ${duplicates} sent twice, in ${(totalMs / 1000).toFixed(1)} s; first-try path ${(MESSAGES / (routedMs / 1000)).toFixed(0)} msg/s; ${f.retryRecords.length} retry records; routing→provider latency p50 ${pct(latencies, 50).toFixed(0)} ms p99 ${pct(latencies, 99).toFixed(0)} ms`,
    };
  } finally {
    await f.stop();
  }
}

async function main(): Promise<void> {
  const results: Figures[] = [];
  say(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (the stack case shares MongoDB/Kafka with whatever else runs)`,
  );
  say(`in-process cases: ${CONCURRENCY} concurrent callers, ${DURATION_S} s each`);
  results.push(await wrapperCase('wrapper, healthy mock', 0));
  results.push(await wrapperCase('wrapper, mock failing 20 % transiently', 0.2));
  results.push(await wrapperCase('wrapper + in-memory rate limits, healthy mock', 0, true));
  say('stack case: router external delivery against the local stack');
  results.push(await stackCase());
  say('summary (deliveries/s):');
  for (const r of results) say(`  ${r.name.padEnd(62)} ${r.perSecond.toFixed(0).padStart(8)} /s  (${r.detail})`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/connectors failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
