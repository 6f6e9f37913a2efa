/**
 * Webhook dispatch on a real router process against the local stack:
 *
 *  1. latency — events at a steady, moderate rate: time from the status
 *     change (the event's occurred_at, stamped just before publishing) to
 *     the receiver having the signed call, p50/p95/p99;
 *  2. throughput — a burst of status events (hub.status.v1) fanned out to
 *     several endpoints on a local receiver: deliveries per second from the
 *     first event to the last 2xx.
 *
 *   node --import tsx bench/webhooks/run.ts
 *   (BENCH_EVENTS=2000 burst events, BENCH_ENDPOINTS=4, BENCH_RATE=25 events/s
 *    and BENCH_LATENCY_S=10 for the latency phase; BENCH_TIMEOUT_S=180 overall)
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeEnvelope, MESSAGE_STATUS, newId, Topics, type StatusEvent } from '@hub/domain';
import { BatchingProducer, createKafka, createLogger, EtcdStore } from '@hub/platform';
import { WebhooksRepository, webhookSecretCodec } from '@hub/webhooks';
import { isolatedServiceEnv } from '../../test/support/service-env';
import { spawnService } from '../../test/support/spawn-service';
import { parseEnvFile, REPO_ROOT, STACK_KEYS } from '../../test/support/stack-env';
import { startWebhookReceiver, verifyWebhookSignature } from '../../test/support/webhook-receiver';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 4);
const RATE = Number(process.env.BENCH_RATE ?? 25);
const LATENCY_S = Number(process.env.BENCH_LATENCY_S ?? 10);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 180);
const say = (line: string) => process.stdout.write(`bench/webhooks: ${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const deadline = Date.now() + TIMEOUT_S * 1000;
  const fromFile = parseEnvFile(join(process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack'), 'env'));
  for (const key of STACK_KEYS) process.env[key] ??= fromFile[key];
  if (!process.env.KAFKA_BROKERS || !existsSync(join(REPO_ROOT, 'node_modules')))
    throw new Error('the local stack is not running: npm run stack:up');

  const env = isolatedServiceEnv({ WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32' });
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const receiver = await startWebhookReceiver('127.0.0.1', () => ({ status: 204 }));
  const kv = new EtcdStore({ hosts: env.ETCD_HOSTS!.split(','), namespace: env.ETCD_NAMESPACE! });
  const owner = `bench-${randomUUID().slice(0, 8)}`;
  // Registered as the frontend would: secrets sealed with the key the router opens them with.
  const repo = new WebhooksRepository(kv, webhookSecretCodec({ NODE_ENV: 'test', WEBHOOK_SECRETS_KEY: env.WEBHOOK_SECRETS_KEY }));
  const secrets = new Map<string, string>();
  for (let i = 0; i < ENDPOINTS; i++) {
    const wh = await repo.create(owner, { url: `${receiver.url}/e${i}`, events: ['message.sent', 'message.delivered', 'message.read'] });
    secrets.set(`/e${i}`, wh.secret);
  }
  say(`router starting (isolated namespace ${env.KAFKA_NAME_PREFIX}), ${ENDPOINTS} endpoints on ${receiver.url}`);
  const router = await spawnService('router', env, { ownSession: true });
  const kafka = createKafka({
    brokers: env.KAFKA_BROKERS!.split(','),
    clientId: 'bench-webhooks',
    logger,
    namePrefix: env.KAFKA_NAME_PREFIX,
  });
  const producer = new BatchingProducer(kafka, logger, { sendTimeoutMs: 10_000 });
  await producer.connect();

  const event = (messageId: string, conversation: string, status: 'sent' | 'delivered' | 'read') => {
    const e: StatusEvent = {
      message_id: messageId,
      conversation_id: conversation,
      recipient: 'bob',
      channel: 'internal',
      status,
      from: 'bench',
      submitted_by: `client:${owner}`,
      occurred_at: new Date().toISOString(),
    };
    return { topic: Topics.status, key: conversation, envelope: makeEnvelope(MESSAGE_STATUS, e) };
  };
  const waitFor = async (count: number, what: string) => {
    let last = Date.now();
    let lastCount = receiver.calls.length;
    while (receiver.calls.length < count) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${receiver.calls.length}/${count} calls`);
      await new Promise((r) => setTimeout(r, 100));
      if (Date.now() - last >= 1_000) {
        say(`  ${what}: ${receiver.calls.length}/${count} calls (${receiver.calls.length - lastCount}/s)`);
        last = Date.now();
        lastCount = receiver.calls.length;
      }
    }
  };

  try {
    // Warm-up: the consumer group has joined and every endpoint answered once.
    await producer.publish(event(newId(), newId(), 'sent'));
    await waitFor(ENDPOINTS, 'warm-up');
    const badSignatures = receiver.calls.filter((c) => !verifyWebhookSignature(secrets.get(c.path)!, c)).length;
    if (badSignatures > 0) throw new Error(`${badSignatures} warm-up calls did not verify`);

    // 1. Latency at a steady rate, before any backlog.
    say(`latency: ${RATE} events/s for ${LATENCY_S} s → ${ENDPOINTS} endpoints each`);
    const before = receiver.calls.length;
    const occurred = new Map<string, number>();
    const total = RATE * LATENCY_S;
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const e = event(newId(), newId(), 'sent');
      occurred.set((e.envelope.payload as StatusEvent).message_id, Date.parse((e.envelope.payload as StatusEvent).occurred_at));
      producer.publish(e).catch((err: unknown) => say(`  publish failed: ${(err as Error).message}`));
    }
    await waitFor(before + total * ENDPOINTS, 'latency');
    const latencies = receiver.calls
      .slice(before)
      .map((c) => c.receivedAt - occurred.get((JSON.parse(c.body) as { data: { message_id: string } }).data.message_id)!)
      .sort((a, b) => a - b);

    // 2. Throughput: EVENTS events (a third each sent/delivered/read over EVENTS/3 messages) as fast as Kafka takes them.
    const base = receiver.calls.length;
    const started = Date.now();
    const batch: ReturnType<typeof event>[] = [];
    for (let i = 0; i < Math.ceil(EVENTS / 3); i++) {
      const m = newId();
      const c = newId();
      for (const s of ['sent', 'delivered', 'read'] as const) batch.push(event(m, c, s));
    }
    say(`throughput: publishing ${batch.length} status events → ${batch.length * ENDPOINTS} deliveries`);
    for (let i = 0; i < batch.length; i += 500) await producer.publishMany(batch.slice(i, i + 500));
    say(`  published in ${Date.now() - started} ms`);
    await waitFor(base + batch.length * ENDPOINTS, 'throughput');
    const burstIds = new Set(batch.map((b) => b.envelope.id));
    const burst = receiver.calls.filter((c) => burstIds.has(String(c.headers['webhook-id']).replace(/^msg_/, '')));
    const elapsedS = (Math.max(...burst.map((c) => c.receivedAt)) - started) / 1000;
    const delivered = burst.length;
    // At least once: a call whose result could not be recorded is made again (same webhook-id).
    const repeats = delivered - new Set(burst.map((c) => `${c.path}|${c.headers['webhook-id']}`)).size;
    const throughput = delivered / elapsedS;

    say('summary');
    say(
      `  throughput: ${delivered} deliveries in ${elapsedS.toFixed(2)} s = ${throughput.toFixed(0)} deliveries/s (${ENDPOINTS} endpoints, ${batch.length} events; ${repeats} repeated calls)`,
    );
    say(
      `  latency (status change → webhook received, ${latencies.length} deliveries at ${RATE * ENDPOINTS}/s): p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
    );
  } catch (err) {
    const notable = router.output.filter((l) => /"level":"(warn|error|fatal)"/.test(l) && !/partitioner|idempotent producer/.test(l));
    if (notable.length) say(`router warnings and errors (last 20 of ${notable.length}):\n${notable.slice(-20).join('\n')}`);
    throw err;
  } finally {
    await producer.disconnect().catch(() => {});
    await router.stop();
    await receiver.close();
    await kv.client
      .delete()
      .prefix(env.ETCD_NAMESPACE!)
      .catch(() => {});
    kv.close();
    const admin = kafka.admin();
    await admin.connect().catch(() => {});
    const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(env.KAFKA_NAME_PREFIX!));
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect().catch(() => {});
    const { MongoClient } = await import('mongodb');
    const mongo = new MongoClient(env.MONGO_URL!);
    await mongo
      .db(env.MONGO_DB!)
      .dropDatabase()
      .catch(() => {});
    await mongo.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/webhooks failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
