/**
 * The message store on the local stack's MongoDB-compatible server, through
 * the pipeline's own adapters:
 *
 *  1. writes — server CPU (from /proc, the server's pid in .stack/pids) and
 *     wall time per document for each document the pipeline writes per
 *     message: claim, sequence slot, message, status event, in bulk
 *     inserts of BENCH_STORE_BATCH (the route worker's batches hold
 *     hundreds under load);
 *  2. history — one page of BENCH_STORE_PAGE messages read as a range query
 *     and through the sequence slots, with BENCH_STORE_MESSAGES messages
 *     stored (FerretDB answers only `_id` equality from an index, so the
 *     range query reads every message stored).
 *
 *   node --import tsx bench/store/run.ts
 *   (BENCH_STORE_DOCS=12000 per kind, BENCH_STORE_BATCH=800,
 *    BENCH_STORE_MESSAGES=50000, BENCH_STORE_PAGE=50)
 *
 * Runs in a database of its own and drops it at the end.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { newId, type StoredMessage } from '@hub/domain';
import { pipelineIndexes, type StatusRecord } from '@hub/messages';
import { MongoMessageStore, MongoSequenceSlots, MongoStatusStore } from '@hub/messages/adapters';
import { connectMongo, ensureIndexes } from '@hub/platform';
import { parseEnvFile, REPO_ROOT } from '../../test/support/stack-env';
import { cpuSeconds, stackServers } from '../pipeline/cpu';

const DOCS = Number(process.env.BENCH_STORE_DOCS ?? 12_000);
const BATCH = Number(process.env.BENCH_STORE_BATCH ?? 800);
const MESSAGES = Number(process.env.BENCH_STORE_MESSAGES ?? 50_000);
const PAGE = Number(process.env.BENCH_STORE_PAGE ?? 50);
const say = (line: string) => process.stdout.write(`bench/store: ${line}\n`);
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function message(conversationId: string, seq: number): StoredMessage {
  const now = new Date().toISOString();
  return {
    message_id: newId(),
    conversation_id: conversationId,
    sequence_number: seq,
    from: 'user-17',
    to: ['user-23'],
    channels: ['internal'],
    payload: { type: 'text', text: `hello from the store benchmark, message ${seq}` },
    source: 'api',
    submitted_by: 'client:bench',
    accepted_at: now,
    stored_at: now,
    trace_id: randomUUID().replaceAll('-', ''),
  };
}

async function main(): Promise<void> {
  const stackDir = process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack');
  const url = process.env.MONGO_URL ?? parseEnvFile(join(stackDir, 'env')).MONGO_URL;
  const server = stackServers(stackDir).find((w) => w.name === 'FerretDB');
  if (!url || !server) throw new Error('the local stack is not running: npm run stack:up');
  // Server CPU in µs (user + system, from /proc).
  const cpuMicros = () => (cpuSeconds(server.pid) ?? NaN) * 1_000_000;
  const mongo = await connectMongo({ url, database: `bench-store-${randomUUID().slice(0, 8)}` });
  const db = mongo.db;
  const rows: Array<[string, string]> = [];
  try {
    say(`server: ${mongo.idLookupsOnly ? 'answers only _id lookups from an index (FerretDB)' : 'MongoDB'}; database ${db.databaseName}`);
    await ensureIndexes(db, pipelineIndexes);
    const messages = new MongoMessageStore(db);
    const slots = new MongoSequenceSlots(db);
    const statuses = new MongoStatusStore(db);

    // 1. What each document the pipeline writes per message costs the server.
    const conversation = newId();
    const kinds: Array<[string, (from: number, n: number) => Promise<unknown>]> = [
      [
        'claim (message_claims)',
        (from, n) =>
          messages.claim(
            Array.from({ length: n }, (_, i) => ({
              message_id: newId(),
              conversation_id: conversation,
              partition: 3,
              offset: String(from + i),
            })),
          ),
      ],
      [
        'sequence slot (sequence_slots)',
        (from, n) =>
          slots.take(
            Array.from({ length: n }, (_, i) => ({
              conversation_id: conversation,
              sequence_number: from + i + 1,
              message_id: newId(),
              partition: 3,
              offset: String(from + i),
            })),
          ),
      ],
      ['message (messages)', (from, n) => messages.insert(Array.from({ length: n }, (_, i) => message(newId(), from + i + 1)))],
      [
        'status event (status_events)',
        (_from, n) =>
          statuses.append(
            Array.from({ length: n }, (): StatusRecord => ({
              id: newId(),
              message_id: newId(),
              conversation_id: conversation,
              recipient: 'user-23',
              channel: 'internal',
              status: 'pending',
              at: new Date().toISOString(),
            })),
          ),
      ],
    ];
    let perMessage = 0;
    for (const [name, write] of kinds) {
      await write(1_000_000, 1); // the collection exists before the clock starts
      const cpu0 = cpuMicros();
      const t0 = performance.now();
      for (let done = 0; done < DOCS; done += BATCH) await write(done, Math.min(BATCH, DOCS - done));
      const cpu = (cpuMicros() - cpu0) / DOCS;
      const wall = ((performance.now() - t0) * 1000) / DOCS;
      perMessage += cpu;
      say(
        `${name}: ${fmt(cpu)} µs of server CPU, ${fmt(wall)} µs wall per document (${DOCS.toLocaleString('en-US')} in batches of ${BATCH})`,
      );
      rows.push([`write: ${name}`, `${fmt(cpu)} µs CPU, ${fmt(wall)} µs wall per document`]);
    }
    rows.push(['write: all four, per message', `${fmt(perMessage)} µs of server CPU`]);

    // 2. One history page, with MESSAGES stored (one conversation numbered through its slots, as the router does).
    say(`history: storing ${MESSAGES.toLocaleString('en-US')} messages…`);
    const c = newId();
    for (let done = 0; done < MESSAGES; done += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, MESSAGES - done) }, (_, i) => message(c, done + i + 1));
      await slots.take(
        batch.map((m) => ({
          conversation_id: c,
          sequence_number: m.sequence_number,
          message_id: m.message_id,
          partition: 0,
          offset: String(m.sequence_number),
        })),
      );
      await messages.insert(batch);
      if ((done / BATCH) % 20 === 0) say(`history: ${(done + batch.length).toLocaleString('en-US')} stored`);
    }
    const from = Math.floor(MESSAGES / 2);
    for (const [name, reader] of [
      ['range query', new MongoMessageStore(db)],
      ['through the slots', new MongoMessageStore(db, { historyBySlots: slots })],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const page = await reader.after(c, from, PAGE);
        times.push(performance.now() - t0);
        if (page.length !== PAGE || page[0]!.sequence_number !== from + 1)
          throw new Error(`${name}: wrong page (${page.length} messages from ${page[0]?.sequence_number})`);
      }
      const best = Math.min(...times);
      say(`history: ${name}: ${times.map((t) => fmt(t)).join(', ')} ms for ${PAGE} messages`);
      rows.push([`history page of ${PAGE} at ${MESSAGES.toLocaleString('en-US')} messages: ${name}`, `${fmt(best)} ms (best of 3)`]);
    }
  } finally {
    await db.dropDatabase().catch(() => {});
    await mongo.close();
  }
  say('');
  say('summary');
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [figure, value] of rows) say(`${figure.padEnd(width)} | ${value}`);
}

main().catch((err: Error) => {
  process.stderr.write(`bench/store: ${err.message}\n`);
  process.exit(1);
});
