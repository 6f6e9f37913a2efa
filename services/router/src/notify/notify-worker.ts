import { ConsumerGroups, Topics } from '@hub/domain';
import { EventConsumer, type InfraWith, type Logger, type Registry } from '@hub/platform';
import {
  AddressPolicy,
  SystemHostResolver,
  TargetVetter,
  WatchedWebhooks,
  WebhookSender,
  WebhooksRepository,
  maxAttempts,
  type ReservedPorts,
  type HostResolver,
  type RetryPolicy,
  type WebhookSecretCodec,
} from '@hub/webhooks';
import { MongoWebhookDeliveryStore } from '@hub/webhooks/adapters';
import { WebhookDispatcher } from './webhook-dispatcher';
import { EndpointHealth } from './endpoint-health';
import { createNotifyIntake } from './notify-intake';
import { NotifyMetrics } from './notify-metrics';

export interface NotifySettings {
  allowHttp: boolean;
  allowedCidrs: string[];
  /** The hub's own ports, never webhook targets on an internal address (none when unset). */
  reserved?: ReservedPorts;
  timeoutMs: number;
  retry: RetryPolicy;
  disableAfterMs: number;
  responseMaxBytes: number;
  maxInFlight: number;
  maxInFlightPerEndpoint: number;
  maxHeld: number;
  pollIntervalMs: number;
  recoveryIntervalMs: number;
  retentionMs: number;
  drainMs: number;
  /** How long a delivered or read event waits for the earlier statuses of its recipient × channel (WEBHOOK_REORDER_WINDOW_MS; 0: off). */
  reorderWindowMs: number;
  /** How registrations' signing secrets are stored (sealed with WEBHOOK_SECRETS_KEY, or as they are). */
  secrets?: WebhookSecretCodec;
}

export interface NotifyWorkerDeps {
  /** Connected Kafka, MongoDB and etcd clients. */
  infra: InfraWith<'kafka' | 'mongo' | 'etcd'>;
  logger: Logger;
  registry: Registry;
  settings: NotifySettings;
  /** Name resolution for receivers; the system resolver unless a test maps names itself. */
  resolver?: HostResolver;
}

export interface NotifyWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly dispatcher: WebhookDispatcher;
}

/**
 * The router's `notify` worker: status and file events in (consumer group
 * `notify`), signed webhook calls out. Built once by main.ts (or a test);
 * start() loads the registrations before reading any event, so none is
 * matched against an empty cache.
 */
export function createNotifyWorker(d: NotifyWorkerDeps): NotifyWorker {
  const { kafka, mongo, etcd: kv } = d.infra;
  const logger = d.logger.child({ worker: 'notify' });
  const s = d.settings;
  const metrics = new NotifyMetrics(d.registry);
  const store = new MongoWebhookDeliveryStore(mongo.db);
  const repo = new WebhooksRepository(kv, s.secrets);
  const registrations = new WatchedWebhooks(kv, logger, s.secrets);
  const vetter = new TargetVetter(
    { allowHttp: s.allowHttp },
    new AddressPolicy(s.allowedCidrs, s.reserved),
    d.resolver ?? new SystemHostResolver(),
  );
  const caller = new WebhookSender(vetter, {
    timeoutMs: s.timeoutMs,
    maxResponseBytes: s.responseMaxBytes,
    userAgent: 'messaging-hub-webhooks/1',
  });
  const health = new EndpointHealth(repo, registrations, s.disableAfterMs, logger, () => metrics.disabled.inc());
  const dispatcher = new WebhookDispatcher({
    store,
    registrations,
    loadWebhook: (owner, id) => repo.get(owner, id),
    caller,
    health,
    metrics,
    logger,
    settings: {
      retry: s.retry,
      maxInFlight: s.maxInFlight,
      maxInFlightPerEndpoint: s.maxInFlightPerEndpoint,
      maxHeld: s.maxHeld,
      pollIntervalMs: s.pollIntervalMs,
      recoveryIntervalMs: s.recoveryIntervalMs,
      // Outlives a call and two missed renewals, so a live dispatcher never loses a delivery it works on.
      leaseMs: s.timeoutMs + 2 * s.recoveryIntervalMs + 30_000,
      retentionMs: s.retentionMs,
      drainMs: s.drainMs,
      reorderWindowMs: s.reorderWindowMs,
    },
  });
  const consumer = new EventConsumer(kafka, { groupId: ConsumerGroups.notify, topics: [Topics.status, Topics.files] }, logger);
  const intake = createNotifyIntake({ store, registrations, maxAttempts: maxAttempts(s.retry), metrics, logger, dispatcher });

  return {
    dispatcher,
    async start() {
      await store.ensureIndexes();
      await registrations.ready();
      dispatcher.start();
      await consumer.start((records) => intake(records));
      logger.info({ webhooks: registrations.size }, 'notify worker started');
    },
    async stop() {
      await consumer.stop();
      await dispatcher.stop();
      await registrations.stop();
    },
  };
}
