import { randomUUID } from 'node:crypto';
import { FILE_COMPLETED, makeEnvelope, MESSAGE_STATUS, newId, Topics, type FileEvent, type Status, type StatusEvent } from '@hub/domain';
import { connectInfra, createLogger, Registry, type InfraWith } from '@hub/platform';
import { SystemHostResolver, WebhooksRepository, type HostResolver, type ResolvedAddress } from '@hub/webhooks';
import { MongoWebhookDeliveryStore } from '@hub/webhooks/adapters';
import { stackEnv } from '../../../test/support/stack-env';
import { createNotifyWorker, type NotifySettings, type NotifyWorker } from '../src/notify/notify-worker';

/** Names a test maps to addresses of its choosing (a DNS answer it controls); other names go to the system resolver. */
export class MappedResolver implements HostResolver {
  readonly names = new Map<string, ResolvedAddress[]>();
  private readonly system = new SystemHostResolver();
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    return this.names.get(hostname) ?? this.system.resolve(hostname);
  }
}

export interface NotifyKit {
  infra: InfraWith<'kafka' | 'producer' | 'mongo' | 'etcd'> & { close(): Promise<void> };
  worker: NotifyWorker;
  repo: WebhooksRepository;
  store: MongoWebhookDeliveryStore;
  resolver: MappedResolver;
  /** Publishes a StatusEvent; `envelopeId` repeats an earlier envelope (a producer retry). Resolves with the envelope id. */
  publishStatus(
    e: Partial<StatusEvent> & { message_id: string; status: Status; submitted_by: string },
    envelopeId?: string,
  ): Promise<string>;
  publishFile(e: FileEvent): Promise<string>;
  close(): Promise<void>;
}

/**
 * A notify worker built in-process the way main.ts builds it, on the real
 * Kafka, MongoDB and etcd, in a namespace of its own (topic and group
 * prefix, database, etcd prefix).
 */
export async function startNotifyKit(settings: Partial<NotifySettings> = {}): Promise<NotifyKit> {
  const env = stackEnv();
  const id = randomUUID().slice(0, 8);
  const logger = createLogger({ service: 'notify-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const infra = await connectInfra(
    {
      kafka: {
        config: {
          KAFKA_BROKERS: env.KAFKA_BROKERS!.split(','),
          KAFKA_CLIENT_ID: 'notify-test',
          KAFKA_SEND_TIMEOUT_MS: 5_000,
          KAFKA_PRODUCER_LINGER_MS: 0,
          KAFKA_TOPIC_PARTITIONS: 2,
          KAFKA_NAME_PREFIX: `t-${id}.`,
          KAFKA_TLS: false,
        },
        topics: [{ topic: Topics.status }, { topic: Topics.files }],
        producer: true,
      },
      mongo: { MONGO_URL: env.MONGO_URL!, MONGO_DB: `t-${id}`, MONGO_WRITE_CONCERN: 'majority' },
      etcd: { ETCD_HOSTS: env.ETCD_HOSTS!.split(','), ETCD_NAMESPACE: `t-${id}/` },
    },
    'notify-test',
    logger,
  );
  const resolver = new MappedResolver();
  const worker = createNotifyWorker({
    infra,
    logger,
    registry: new Registry(),
    resolver,
    settings: {
      allowHttp: true,
      allowedCidrs: ['127.0.0.1/32'],
      timeoutMs: 2_000,
      retry: { delaysMs: [100, 200, 300], jitter: 0 },
      disableAfterMs: 3_600_000,
      responseMaxBytes: 256,
      maxInFlight: 32,
      maxInFlightPerEndpoint: 2,
      maxHeld: 10_000,
      pollIntervalMs: 50,
      recoveryIntervalMs: 500,
      retentionMs: 86_400_000,
      drainMs: 1_000,
      // Off unless a test asks for it: most tests publish a delivered or read without the statuses before it.
      reorderWindowMs: 0,
      ...settings,
    },
  });
  await worker.start();
  const conversationOf = new Map<string, string>();
  return {
    infra,
    worker,
    resolver,
    repo: new WebhooksRepository(infra.etcd),
    store: new MongoWebhookDeliveryStore(infra.mongo.db),
    async publishStatus(e, envelopeId) {
      let conversation = e.conversation_id ?? conversationOf.get(e.message_id);
      if (!conversation) conversationOf.set(e.message_id, (conversation = newId()));
      const event: StatusEvent = {
        conversation_id: conversation,
        recipient: 'bob',
        channel: 'internal',
        from: 'crm',
        occurred_at: new Date().toISOString(),
        ...e,
      };
      const envelope = makeEnvelope(MESSAGE_STATUS, event, envelopeId ? { id: envelopeId } : {});
      await infra.producer.publish({ topic: Topics.status, key: conversation, envelope });
      return envelope.id;
    },
    async publishFile(e) {
      const envelope = makeEnvelope(FILE_COMPLETED, e);
      await infra.producer.publish({ topic: Topics.files, key: e.file_id, envelope });
      return envelope.id;
    },
    async close() {
      await worker.stop();
      await infra.mongo?.db.dropDatabase().catch(() => {});
      await infra.etcd?.client
        .delete()
        .prefix(`t-${id}/`)
        .catch(() => {});
      const admin = infra.kafkaAdmin;
      await admin?.deleteTopics({ topics: [`t-${id}.${Topics.status}`, `t-${id}.${Topics.files}`] }).catch(() => {});
      await admin?.deleteGroups([`t-${id}.notify`]).catch(() => {});
      await infra.close();
    },
  };
}
