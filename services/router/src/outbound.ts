import { buildConnectors, type ConnectorRegistry } from '@hub/connectors';
import { RetryScheduler } from '@hub/outbound';
import { deadLetterIndexes, outboundLedgerIndexes, MongoDeadLetterStore, MongoOutboundLedger } from '@hub/outbound/adapters';
import { Topics, type IdentityDirectory } from '@hub/domain';
import { ensureIndexes, type EventPublisher, type Infra, type Logger, type MongoHandle, type ObjectStore, type Registry } from '@hub/platform';
import { KafkaDelayedConsumer } from './adapters/kafka-delayed-consumer';
import { S3FileLinks } from './adapters/s3-file-links';
import type { RouterOutboundConfig } from './outbound-config';
import { OutboundHandOver } from './outbound-hand-over';
import { OutboundMetrics } from './outbound-metrics';
import { OutboundSteps } from './outbound-steps';
import type { ChannelHandOver } from './ports/hand-over';
import type { StatusRecorder } from './ports/status-recorder';
import { PublishingStatusRecorder } from './publishing-status-recorder';
import { RetrySweeper } from './retry-sweeper';
import { RetryWorker } from './retry-worker';

/** Consumer group of the retry worker (its own: it reads only hub.retry.v1, on its own schedule). */
export const RETRY_GROUP = 'router-retry';


export interface OutboundDeps {
  config: RouterOutboundConfig;
  kafka: NonNullable<Infra['kafka']>;
  publisher: EventPublisher;
  db: MongoHandle['db'];
  directory: Pick<IdentityDirectory, 'getMapping'>;
  logger: Logger;
  registry: Registry;
  /** Redis client shared by the workers for provider rate limits (memory when absent). */
  redis?: unknown;
  redisKeyPrefix?: string;
  /** Object store for file links; without it file messages to external channels fail as `file_unavailable`. */
  objects?: ObjectStore;
  /** Where the retry worker records statuses; hub.status.v1 by default. */
  status?: StatusRecorder;
}

export interface Outbound {
  /** The routing port's hand-over for every enabled external channel. */
  handOver: ChannelHandOver;
  connectors: ConnectorRegistry;
  retryWorker: RetryWorker;
  sweeper: RetrySweeper;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Composition of the outbound stage for one router process: the connectors
 * (each behind its resilience wrapper), the first try on the routing path,
 * the retry worker on hub.retry.v1, the sweeper, and dead letters.
 */
export async function createOutbound(deps: OutboundDeps): Promise<Outbound> {
  const { config, logger } = deps;
  await ensureIndexes(deps.db, { ...outboundLedgerIndexes, ...deadLetterIndexes });
  const connectors = buildConnectors(config, {
    registry: deps.registry,
    logger: logger.child({ component: 'connectors' }),
    rateLimitStore: deps.redis ? { kind: 'redis', client: deps.redis, keyPrefix: deps.redisKeyPrefix ?? '' } : { kind: 'memory' },
  });
  const ledger = new MongoOutboundLedger(deps.db);
  const deadLetters = new MongoDeadLetterStore(deps.db);
  const scheduler = new RetryScheduler({ ledger, deadLetters, publisher: deps.publisher });
  const consumer = new KafkaDelayedConsumer(deps.kafka, { groupId: RETRY_GROUP, topic: Topics.retry, maxHeld: config.OUTBOUND_RETRY_MAX_IN_MEMORY }, logger.child({ component: 'retry-consumer' }));
  const metrics = new OutboundMetrics(deps.registry, () => consumer.held());
  const steps = new OutboundSteps(
    scheduler,
    {
      backoff: { baseMs: config.OUTBOUND_BACKOFF_BASE_MS, maxAttempts: config.OUTBOUND_MAX_ATTEMPTS, jitter: config.OUTBOUND_BACKOFF_JITTER },
      recheckMs: config.OUTBOUND_QUEUE_RECHECK_MS,
      maxDeferMs: config.OUTBOUND_MAX_DEFER_MS,
    },
    metrics,
  );
  const attempt = {
    connector: (channel: Parameters<ConnectorRegistry['get']>[0]) => connectors.get(channel),
    directory: deps.directory,
    ...(deps.objects ? { files: new S3FileLinks(deps.db, deps.objects, config.EXTERNAL_FILE_LINK_TTL_S) } : {}),
  };
  const handOver = new OutboundHandOver({ attempt, ledger, steps, logger });
  const retryWorker = new RetryWorker({
    consumer,
    ledger,
    scheduler,
    steps,
    attempt,
    status: deps.status ?? new PublishingStatusRecorder(deps.publisher),
    logger: logger.child({ component: 'retry-worker' }),
    // A claimed delivery is not "lost" while its connector call may still be running.
    holdMs: Math.max(config.OUTBOUND_SWEEP_GRACE_MS, config.CONNECTOR_TIMEOUT_MS * 3),
  });
  const sweeper = new RetrySweeper({ ledger, scheduler, logger, intervalMs: config.OUTBOUND_SWEEP_INTERVAL_MS, graceMs: config.OUTBOUND_SWEEP_GRACE_MS });
  logger.info({ channels: connectors.channels() }, 'external channels enabled');
  return {
    handOver,
    connectors,
    retryWorker,
    sweeper,
    start: async () => {
      await retryWorker.start();
      sweeper.start();
    },
    stop: async () => {
      await sweeper.stop();
      await retryWorker.stop();
      await connectors.close();
    },
  };
}
