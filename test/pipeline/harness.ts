import { Kafka, logLevel } from 'kafkajs';
import { MongoClient, type Db } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { Topics, type Envelope, type MessageEvent } from '@hub/domain';
import {
  adminToken,
  cleanupTestEnv,
  createApiClient,
  registerAndLogin,
  testFrontendEnv,
  type TestApiClient,
  type TestUser,
} from '../support/identity';
import { eventually, spawnService, type ServiceProcess } from '../support/spawn-service';

/**
 * A frontend and router processes on the real stack under one private
 * namespace (etcd, Redis, Mongo database, Kafka prefix), with helpers that
 * go through the public API and read back topics and collections.
 */
export interface Pipeline {
  env: Record<string, string>;
  frontend: ServiceProcess;
  routers: ServiceProcess[];
  url: string;
  db: Db;
  startRouter(): Promise<ServiceProcess>;
  user(): Promise<TestUser>;
  client(scopes: string[]): Promise<TestApiClient>;
  api(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  conversation(token: string, type: 'direct' | 'group', members: string[]): Promise<string>;
  /** Every MessageEvent on hub.messages.v1 so far (read from the beginning). */
  producedMessages(settleMs?: number): Promise<MessageEvent[]>;
  stop(): Promise<void>;
}

export async function startPipeline(opts: { routers?: number; env?: Record<string, string> } = {}): Promise<Pipeline> {
  const env = testFrontendEnv({ KAFKA_TOPIC_PARTITIONS: '3', RATE_LIMIT_PER_MIN: '1000000', ...(opts.env ?? {}) });
  const frontend = await spawnService('frontend', env);
  const routers: ServiceProcess[] = [];
  const mongo = new MongoClient(env.MONGO_URL!);
  await mongo.connect();
  const db = mongo.db(env.MONGO_DB!);
  const kafka = new Kafka({
    brokers: env.KAFKA_BROKERS!.split(','),
    clientId: `t-pipe-${randomUUID().slice(0, 6)}`,
    logLevel: logLevel.NOTHING,
  });
  let admin: string | undefined;

  const p: Pipeline = {
    env,
    frontend,
    routers,
    url: frontend.url,
    db,
    async startRouter() {
      const r = await spawnService('router', env);
      routers.push(r);
      return r;
    },
    user: () => registerAndLogin(frontend.url),
    async client(scopes) {
      admin ??= await adminToken(frontend.url, env);
      return createApiClient(frontend.url, admin, scopes);
    },
    async api(method, path, token, body, headers = {}) {
      const res = await fetch(`${frontend.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async conversation(token, type, members) {
      const res = await p.api('POST', '/v1/conversations', token, { type, members });
      if (res.status !== 201 && res.status !== 200) throw new Error(`create conversation: ${res.status} ${JSON.stringify(res.body)}`);
      return (res.body as { conversation_id: string }).conversation_id;
    },
    async producedMessages(settleMs = 1_000) {
      const consumer = kafka.consumer({ groupId: `t-read-${randomUUID()}` });
      const seen: MessageEvent[] = [];
      let last = Date.now();
      await consumer.connect();
      await consumer.subscribe({ topics: [env.KAFKA_NAME_PREFIX + Topics.messages], fromBeginning: true });
      let assigned = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        assigned = true;
      });
      await consumer.run({
        eachMessage: async ({ message }) => {
          last = Date.now();
          seen.push((JSON.parse(message.value!.toString()) as Envelope<MessageEvent>).payload);
        },
      });
      await eventually(() => assigned, { what: 'reader joined', timeoutMs: 20_000 });
      // Read until the topic stays quiet for settleMs.
      await eventually(() => Date.now() - last > settleMs, { timeoutMs: 60_000, intervalMs: 100, what: 'topic to settle' });
      await consumer.disconnect();
      return seen;
    },
    async stop() {
      await Promise.allSettled(routers.map((r) => r.stop()));
      await frontend.stop();
      await mongo.close();
      await cleanupTestEnv(env);
    },
  };
  for (let i = 0; i < (opts.routers ?? 0); i++) await p.startRouter();
  return p;
}
