import { buildConnectors, type ConnectorRegistry } from '@hub/connectors';
import type { IdentityDirectory } from '@hub/domain';
import type { EventPublisher, Logger, MongoHandle, ObjectStore, Registry } from '@hub/platform';
import { S3FileLinks } from '../adapters/s3-file-links';
import type { ChannelHandOver } from '../ports/hand-over';
import type { OutboundAttemptDeps } from './outbound-attempt';
import type { RouterOutboundConfig } from './outbound-config';
import { OutboundHandOver } from './outbound-hand-over';
import { OutboundMetrics } from './outbound-metrics';
import { createOutboundRecords, type OutboundRecords } from './outbound-records';
import { OutboundSteps } from './outbound-steps';

export interface OutboundDeps {
  config: RouterOutboundConfig;
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
}

/** What the workers that call providers (`route` for first tries, `retry`) share in one router process. */
export interface Outbound extends OutboundRecords {
  /** The routing port's hand-over for every enabled external channel (the first try). */
  handOver: ChannelHandOver;
  connectors: ConnectorRegistry;
  steps: OutboundSteps;
  attempt: OutboundAttemptDeps;
  /** Closes the connectors (after the workers using them stopped). */
  close(): Promise<void>;
}

/**
 * The outbound stage's shared parts for one router process: the connectors
 * (each behind its resilience wrapper), the ledger and retry scheduler, the
 * step rules, and the first try on the routing path. The retry worker
 * (retry/) and the sweeper (sweep/) run on top of them.
 */
export async function createOutbound(deps: OutboundDeps): Promise<Outbound> {
  const { config, logger } = deps;
  const records = await createOutboundRecords(deps.db, deps.publisher);
  const connectors = buildConnectors(config, {
    registry: deps.registry,
    logger: logger.child({ component: 'connectors' }),
    rateLimitStore: deps.redis ? { kind: 'redis', client: deps.redis, keyPrefix: deps.redisKeyPrefix ?? '' } : { kind: 'memory' },
  });
  const steps = new OutboundSteps(
    records.scheduler,
    {
      backoff: {
        baseMs: config.OUTBOUND_BACKOFF_BASE_MS,
        maxAttempts: config.OUTBOUND_MAX_ATTEMPTS,
        jitter: config.OUTBOUND_BACKOFF_JITTER,
      },
      recheckMs: config.OUTBOUND_QUEUE_RECHECK_MS,
      maxDeferMs: config.OUTBOUND_MAX_DEFER_MS,
    },
    new OutboundMetrics(deps.registry),
  );
  const attempt: OutboundAttemptDeps = {
    connector: (channel) => connectors.get(channel),
    directory: deps.directory,
    ...(deps.objects ? { files: new S3FileLinks(deps.db, deps.objects, config.EXTERNAL_FILE_LINK_TTL_S) } : {}),
  };
  const handOver = new OutboundHandOver({ attempt, ledger: records.ledger, steps, logger });
  logger.info({ channels: connectors.channels() }, 'external channels enabled');
  return { ...records, handOver, connectors, steps, attempt, close: () => connectors.close() };
}
