import { ConsumerGroups, Topics } from '@hub/domain';
import { pipelineIndexes } from '@hub/messages';
import {
  MongoConversationAcceptances,
  MongoConversationStore,
  MongoMessageStore,
  MongoRejectedRecords,
  MongoSequenceSlots,
} from '@hub/messages/adapters';
import {
  coalesceBatches,
  EventConsumer,
  ensureIndexes,
  type EventPublisher,
  type Infra,
  type Logger,
  type MongoHandle,
  type Registry,
} from '@hub/platform';
import type { HandOverRouter } from '../ports/hand-over';
import type { RouterWorker } from '../workers';
import { createRouteHandler } from './route-handler';
import { createRouteMetrics } from './route-metrics';
import { SenderAcceptances } from './sender-acceptances';

export interface RouteWorkerSettings {
  /** Partitions processed at once (order within a partition always holds). */
  partitionConcurrency: number;
  sequenceCacheSize: number;
  /** Partition groups written side by side (see coalesceBatches). */
  writeGroups: number;
}

/**
 * The `route` worker (consumer group `router`, hub.messages.v1): stores
 * each accepted message once, numbered in its conversation, hands it over
 * to its channels and publishes the outcomes on hub.status.v1. Scales out
 * by running more router processes with it, up to the partition count.
 */
export function createRouteWorker(deps: {
  kafka: NonNullable<Infra['kafka']>;
  publisher: EventPublisher;
  db: MongoHandle['db'];
  logger: Logger;
  registry: Registry;
  handOver: HandOverRouter;
  settings: RouteWorkerSettings;
}): RouterWorker {
  const { db, logger, settings } = deps;
  const consumer = new EventConsumer(
    deps.kafka,
    { groupId: ConsumerGroups.route, topics: [Topics.messages], partitionsConsumedConcurrently: settings.partitionConcurrency },
    logger,
  );
  const handler = createRouteHandler({
    messages: new MongoMessageStore(db),
    sequences: new MongoConversationStore(db),
    slots: new MongoSequenceSlots(db),
    rejected: new MongoRejectedRecords(db),
    handOver: deps.handOver,
    senders: new SenderAcceptances(new MongoConversationAcceptances(db), settings.sequenceCacheSize),
    publisher: deps.publisher,
    logger: logger.child({ worker: 'route' }),
    metrics: createRouteMetrics(deps.registry),
    sequenceCacheSize: settings.sequenceCacheSize,
  });
  // Partitions may have moved: cached counters of conversations numbered elsewhere meanwhile are stale.
  consumer.kafkaConsumer.on(consumer.kafkaConsumer.events.GROUP_JOIN, () => handler.rebalanced());
  return {
    start: async () => {
      await ensureIndexes(db, pipelineIndexes);
      await consumer.start(coalesceBatches(handler, { groups: settings.writeGroups }));
      logger.info({ group: ConsumerGroups.route }, 'route worker started');
    },
    stop: () => consumer.stop(),
  };
}
