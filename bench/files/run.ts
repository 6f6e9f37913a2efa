/**
 * Upload throughput (MiB/s) to the local S3 server for 1 MiB and 100 MiB
 * files, three ways in the same run, rounds interleaved so drift hits all:
 *
 *   presigned   what a hub client does with the URLs initiate returns: one
 *               presigned PUT, or (above the multipart threshold) presigned
 *               part PUTs sent in parallel, then CompleteMultipartUpload
 *   minio       the `minio` client's putObject from a stream, straight to
 *               the server with its own credentials: the ceiling
 *   files API   the whole flow through a running files service: initiate,
 *               PUT(s), complete (which copies and SHA-256-verifies the object)
 *
 *   node --import tsx bench/files/run.ts     (BENCH_ROUNDS=5, BENCH_SMALL_FILES=20, BENCH_MAX_S=180)
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Topics } from '@hub/domain';
import { AccessTokens, connectMongo, createKafka, createLogger, S3ObjectStore } from '@hub/platform';
import { partSpans, planUpload } from '../../services/files/src/upload-plan';
import { isolatedServiceEnv } from '../../test/support/service-env';
import { spawnService, type ServiceProcess } from '../../test/support/spawn-service';
import { parseEnvFile, REPO_ROOT, STACK_KEYS } from '../../test/support/stack-env';

const MiB = 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** 1 MiB uploads per round and way (one upload is too short to time alone). */
const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 20);
/** Rounds stop starting after this many seconds; the summary covers the rounds done. */
const MAX_S = Number(process.env.BENCH_MAX_S ?? 180);
/** The files service's defaults: multipart above 64 MiB, parts of 16 MiB. */
const PLAN = { multipartThreshold: 64 * MiB, partSize: 16 * MiB };
const say = (line: string) => process.stdout.write(`bench/files: ${line}\n`);

type Way = 'presigned' | 'minio' | 'files API';
interface Sample {
  bytes: number;
  ms: number;
}

async function presignedUpload(store: S3ObjectStore, key: string, body: Buffer): Promise<void> {
  const plan = planUpload(body.length, PLAN);
  if (plan.mode === 'single') {
    const res = await fetch(await store.presignPut(key, 900), { method: 'PUT', body });
    if (res.status !== 200) throw new Error(`presigned PUT: ${res.status}`);
    return;
  }
  const uploadId = await store.startMultipart(key);
  const parts = await Promise.all(
    partSpans(body.length, plan.partSize).map(async (span) => {
      const res = await fetch(await store.presignPart(key, uploadId, span.partNumber, 900), {
        method: 'PUT',
        body: body.subarray(span.offset, span.offset + span.size),
      });
      if (res.status !== 200) throw new Error(`presigned part PUT: ${res.status}`);
      return { partNumber: span.partNumber, etag: res.headers.get('etag') ?? '' };
    }),
  );
  await store.completeMultipart(key, uploadId, parts);
}

async function minioUpload(store: S3ObjectStore, key: string, body: Buffer): Promise<void> {
  // A stream, not the Buffer: minio-js 8.0.7 sends a Buffer in one request, a stream in parts as a real client would.
  await store.client.putObject(store.bucket, key, Readable.from(chunks(body, MiB)), body.length);
}

function* chunks(body: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

async function apiUpload(files: ServiceProcess, token: string, body: Buffer, digest: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const init = await fetch(`${files.url}/v1/files/initiate`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ filename: 'bench.bin', size: body.length, content_type: 'application/octet-stream', sha256: digest }),
  });
  if (init.status !== 201) throw new Error(`initiate: ${init.status} ${await init.text()}`);
  const { file_id, upload } = (await init.json()) as {
    file_id: string;
    upload: { mode: string; url: string; parts: Array<{ part_number: number; size: number; url: string }> };
  };
  let parts: Array<{ part_number: number; etag: string }> | undefined;
  if (upload.mode === 'single') {
    const res = await fetch(upload.url, { method: 'PUT', body });
    if (res.status !== 200) throw new Error(`PUT: ${res.status}`);
  } else {
    let offset = 0;
    const spans = upload.parts.map((p) => ({ ...p, offset: (offset += p.size) - p.size }));
    parts = await Promise.all(
      spans.map(async (p) => {
        const res = await fetch(p.url, { method: 'PUT', body: body.subarray(p.offset, p.offset + p.size) });
        if (res.status !== 200) throw new Error(`part PUT: ${res.status}`);
        return { part_number: p.part_number, etag: res.headers.get('etag') ?? '' };
      }),
    );
  }
  const done = await fetch(`${files.url}/v1/files/complete`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ file_id, ...(parts ? { parts } : {}) }),
  });
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${await done.text()}`);
}

async function timed(count: number, bytes: number, fn: (i: number) => Promise<void>): Promise<Sample> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  return { bytes: bytes * count, ms: performance.now() - started };
}

function mibps(samples: Sample[]): number {
  const bytes = samples.reduce((n, s) => n + s.bytes, 0);
  const ms = samples.reduce((n, s) => n + s.ms, 0);
  return bytes / MiB / (ms / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The files service's private database and Kafka topic. */
async function dropServiceState(env: Record<string, string>): Promise<void> {
  const mongo = await connectMongo({ url: env.MONGO_URL!, database: env.MONGO_DB! });
  await mongo.db.dropDatabase().catch(() => {});
  await mongo.close();
  const admin = createKafka({
    brokers: env.KAFKA_BROKERS!.split(','),
    clientId: 'bench-files',
    logger: createLogger({ service: 'bench', level: 'warn' }),
  }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [`${env.KAFKA_NAME_PREFIX}${Topics.files}`] }).catch(() => {});
  await admin.disconnect();
}

async function main(): Promise<void> {
  const stackFile = join(REPO_ROOT, '.stack', 'env');
  if (!STACK_KEYS.every((k) => process.env[k])) {
    if (!existsSync(stackFile))
      throw new Error('no stack settings: run `npm run stack:up` first (or set KAFKA_BROKERS, MONGO_URL, ETCD_HOSTS, REDIS_URL, S3_*)');
    Object.assign(process.env, parseEnvFile(stackFile));
  }
  // One bucket for all three ways, so they write to the same place on the same disk.
  const env = isolatedServiceEnv({ LOG_LEVEL: 'info', RATE_LIMIT_PER_MIN: '1000000', S3_BUCKET: `bench-${randomUUID().slice(0, 8)}` });
  const store = new S3ObjectStore({
    endpoint: env.S3_ENDPOINT!,
    accessKey: env.S3_ACCESS_KEY!,
    secretKey: env.S3_SECRET_KEY!,
    region: env.S3_REGION!,
    bucket: env.S3_BUCKET!,
  });
  await store.ensureBucket();
  say(
    `S3 server ${env.S3_ENDPOINT}, bucket ${store.bucket}; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}; ${ROUNDS} rounds (1 MiB × ${SMALL_FILES} and 100 MiB × 1 per way and round), at most ${MAX_S} s`,
  );
  say('starting a files service on the local stack (its own bucket, database and Kafka prefix)…');
  const files = await spawnService('files', env, { ownSession: true });
  const token = await new AccessTokens({ secret: env.JWT_SECRET!, issuer: 'messaging-hub', accessTtlSeconds: 3600 }).issue({
    kind: 'user',
    subject: 'bench',
    scopes: ['files:write'],
    sessionId: randomUUID(),
  });

  const sizes = [
    { label: '1 MiB', bytes: MiB, count: SMALL_FILES },
    { label: '100 MiB', bytes: 100 * MiB, count: 1 },
  ];
  const bodies = new Map(sizes.map((s) => [s.label, randomBytes(s.bytes)]));
  const digests = new Map([...bodies].map(([label, b]) => [label, createHash('sha256').update(b).digest('hex')]));
  const results = new Map<string, Sample[]>();
  const record = (way: Way, size: string, s: Sample) => {
    const k = `${way}|${size}`;
    results.set(k, [...(results.get(k) ?? []), s]);
  };

  const deadline = Date.now() + MAX_S * 1000;
  let rounds = 0;
  try {
    // A warm-up upload per way, not counted: connections, JIT, the server's first writes.
    await presignedUpload(store, 'warmup/p', bodies.get('1 MiB')!);
    await minioUpload(store, 'warmup/m', bodies.get('1 MiB')!);
    await apiUpload(files, token, bodies.get('1 MiB')!, digests.get('1 MiB')!);
    for (let r = 1; r <= ROUNDS && Date.now() < deadline; r++) {
      const line: string[] = [];
      for (const size of sizes) {
        const body = bodies.get(size.label)!;
        const p = await timed(size.count, size.bytes, (i) => presignedUpload(store, `p/${r}/${size.label}/${i}`, body));
        const m = await timed(size.count, size.bytes, (i) => minioUpload(store, `m/${r}/${size.label}/${i}`, body));
        const a = await timed(size.count, size.bytes, () => apiUpload(files, token, body, digests.get(size.label)!));
        record('presigned', size.label, p);
        record('minio', size.label, m);
        record('files API', size.label, a);
        line.push(
          `${size.label}: presigned ${mibps([p]).toFixed(0)}, minio ${mibps([m]).toFixed(0)}, files API ${mibps([a]).toFixed(0)} MiB/s`,
        );
      }
      rounds = r;
      say(`round ${r}/${ROUNDS}  ${line.join('  |  ')}`);
      // Keep the bucket small between rounds: the server's disk is shared with everything else.
      for (const key of await store.list('')) await store.remove(key);
    }
  } finally {
    await files.stop('SIGTERM');
    for (const key of await store.list('').catch(() => [])) await store.remove(key).catch(() => {});
    for (const u of await store.listIncompleteUploads('').catch(() => [])) await store.abortMultipart(u.key, u.uploadId).catch(() => {});
    await store.client.removeBucket(store.bucket).catch(() => {});
    await dropServiceState(env);
  }

  say('');
  say(`summary over ${rounds} round(s) (aggregate MiB/s = all bytes / all time; median of per-round figures in brackets)`);
  say('size      presigned           minio (ceiling)     files API (+verify)   presigned/minio   files API/minio');
  for (const size of sizes) {
    const get = (way: Way) => results.get(`${way}|${size.label}`) ?? [];
    const agg = (way: Way) => mibps(get(way));
    const med = (way: Way) => median(get(way).map((s) => mibps([s])));
    const cell = (way: Way) => `${agg(way).toFixed(1).padStart(7)} [${med(way).toFixed(1).padStart(6)}]`.padEnd(20);
    say(
      `${size.label.padEnd(9)} ${cell('presigned')}${cell('minio')}${cell('files API')}  ${(agg('presigned') / agg('minio')).toFixed(2).padStart(8)}          ${(agg('files API') / agg('minio')).toFixed(2).padStart(8)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench/files failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
