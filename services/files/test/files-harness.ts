import { createHash, randomUUID } from 'node:crypto';
import { Topics, USER_SCOPES, type Envelope, type FileEvent, type Scope } from '@hub/domain';
import { AccessTokens, connectMongo, createKafka, createLogger, EventConsumer, S3ObjectStore, type MongoHandle } from '@hub/platform';
import { MongoConversationStore } from '@hub/messages/adapters';
import { isolatedServiceEnv } from '../../../test/support/service-env';
import { spawnService, type ServiceProcess } from '../../../test/support/spawn-service';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * A files service running as its own process against the real stack, in a
 * private Mongo database, bucket, Kafka prefix and etcd/Redis namespace,
 * with the clients a test needs to look behind it (the bucket, the files
 * collection, the hub.files.v1 topic).
 */
export interface FilesHarness {
  svc: ServiceProcess;
  env: Record<string, string>;
  mongo: MongoHandle;
  /** The test's bucket, for listing what is really stored. */
  store: S3ObjectStore;
  /** FileEvents consumed from the test's hub.files.v1. */
  events: Array<Envelope<FileEvent>>;
  /** An end user's access token (the scopes users get, unless given). */
  userToken(username: string, scopes?: readonly Scope[]): Promise<string>;
  api<T = any>(method: string, path: string, token: string | undefined, body?: unknown): Promise<ApiResponse<T>>;
  /** A conversation document as the message pipeline stores it. */
  addConversation(members: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startFilesHarness(overrides: Record<string, string> = {}): Promise<FilesHarness> {
  const env = isolatedServiceEnv(overrides);
  const logger = createLogger({ service: 'files-test', level: 'warn' });
  const svc = await spawnService('files', env);
  const mongo = await connectMongo({ url: env.MONGO_URL!, database: env.MONGO_DB! });
  const store = new S3ObjectStore({
    endpoint: env.S3_ENDPOINT!,
    accessKey: env.S3_ACCESS_KEY!,
    secretKey: env.S3_SECRET_KEY!,
    region: env.S3_REGION!,
    bucket: env.S3_BUCKET!,
  });
  const tokens = new AccessTokens({ secret: env.JWT_SECRET!, issuer: 'messaging-hub', accessTtlSeconds: 3600 });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 'files-test', logger, namePrefix: env.KAFKA_NAME_PREFIX });
  const events: Array<Envelope<FileEvent>> = [];
  const consumer = new EventConsumer(kafka, { groupId: `t-${randomUUID()}`, topics: [Topics.files], fromBeginning: true }, logger);
  await consumer.start(async (records) => {
    for (const r of records) if (r.envelope) events.push(r.envelope as Envelope<FileEvent>);
  });

  return {
    svc,
    env,
    mongo,
    store,
    events,
    userToken: (username, scopes = USER_SCOPES) => tokens.issue({ kind: 'user', subject: username, scopes, sessionId: randomUUID() }),
    api: async (method, path, token, body) => {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${svc.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: the raw text is what the test sees
      }
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    addConversation: async (members) => {
      // Through the pipeline's own store, so the test sees conversations exactly as the hub stores them.
      const id = randomUUID();
      await new MongoConversationStore(mongo.db).create({
        conversation_id: id,
        type: 'group',
        members,
        created_at: new Date().toISOString(),
        created_by: 'user:test',
      });
      return id;
    },
    close: async () => {
      await svc.stop('SIGTERM');
      await consumer.stop();
      // Tolerant: a test may have stopped its own S3 server.
      await emptyBucket(store).catch(() => {});
      await store.client.removeBucket(store.bucket).catch(() => {});
      await mongo.db.dropDatabase().catch(() => {});
      await mongo.close();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [`${env.KAFKA_NAME_PREFIX}${Topics.files}`] }).catch(() => {});
      await admin.disconnect();
    },
  };
}

export async function emptyBucket(store: S3ObjectStore): Promise<void> {
  for (const u of await store.listIncompleteUploads('')) await store.abortMultipart(u.key, u.uploadId).catch(() => {});
  for (const key of await store.list('')) await store.remove(key);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface InitiatedUpload {
  file_id: string;
  upload:
    | { mode: 'single'; url: string; expires_at: string }
    | { mode: 'multipart'; part_size: number; parts: Array<{ part_number: number; size: number; url: string }>; expires_at: string };
}

/** PUTs the bytes where initiate said, parts in parallel; returns the parts to complete with (multipart). */
export async function uploadBytes(init: InitiatedUpload, bytes: Buffer): Promise<Array<{ part_number: number; etag: string }> | undefined> {
  const up = init.upload;
  if (up.mode === 'single') {
    const res = await fetch(up.url, { method: 'PUT', body: bytes });
    if (res.status !== 200) throw new Error(`PUT ${res.status}: ${await res.text()}`);
    return undefined;
  }
  let offset = 0;
  const spans = up.parts.map((p) => {
    const span = { ...p, offset };
    offset += p.size;
    return span;
  });
  return Promise.all(
    spans.map(async (p) => {
      const res = await fetch(p.url, { method: 'PUT', body: bytes.subarray(p.offset, p.offset + p.size) });
      if (res.status !== 200) throw new Error(`PUT part ${p.part_number}: ${res.status}: ${await res.text()}`);
      return { part_number: p.part_number, etag: res.headers.get('etag') ?? '' };
    }),
  );
}
