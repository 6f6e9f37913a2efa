import { ConsumerGroups, Topics } from '@hub/domain';
import { pipelineIndexes } from '@hub/messages';
import { MongoConversationAcceptances, MongoConversationStore, MongoMessageStore, MongoRejectedRecords, MongoSequenceSlots, MongoStatusStore } from '@hub/messages/adapters';
import { coalesceBatches, EventConsumer, ensureIndexes, type Infra, type Logger, type Registry } from '@hub/platform';
import type { HandOverRouter } from '../ports/hand-over';
import { createStatusWriterHandler } from '../status/status-writer';
import { createRouteMetrics } from './route-metrics';
import { createRouteHandler } from './route-worker';
import { SenderAcceptances } from './sender-acceptances';

export interface PipelineWorkerSettings {
  /** Partitions each worker processes at once (order within a partition always holds). */
  partitionConcurrency: number;
  sequenceCacheSize: number;
  /** Partition groups written side by side (see coalesceBatches). */
  writeGroups: number;
}

export interface PipelineWorkers {
  start(): Promise<void>;
  /** Stops intake, lets the running batches finish and commit, leaves the groups. */
  stop(): Promise<void>;
}

/**
 * The message pipeline's workers in one router process: `route`
 * (group `router`, hub.messages.v1) and the status writer (group
 * `status-writer`, hub.status.v1). Both scale out by running more router
 * processes, up to the partition count.
 */
export function createPipelineWorkers(deps: { infra: Infra; logger: Logger; registry: Registry; handOver: HandOverRouter; settings: PipelineWorkerSettings }): PipelineWorkers {
  const { infra, logger, registry } = deps;
  if (!infra.kafka || !infra.producer || !infra.mongo) throw new Error('the pipeline workers need Kafka (with a producer) and MongoDB');
  const db = infra.mongo.db;
  const messages = new MongoMessageStore(db);
  const conversations = new MongoConversationStore(db);
  const rejected = new MongoRejectedRecords(db);
  const route = new EventConsumer(infra.kafka, { groupId: ConsumerGroups.route, topics: [Topics.messages], partitionsConsumedConcurrently: deps.settings.partitionConcurrency }, logger);
  const status = new EventConsumer(infra.kafka, { groupId: ConsumerGroups.status, topics: [Topics.status], partitionsConsumedConcurrently: deps.settings.partitionConcurrency }, logger);
  const routeHandler = createRouteHandler({
    messages,
    sequences: conversations,
    slots: new MongoSequenceSlots(db),
    rejected,
    handOver: deps.handOver,
    senders: new SenderAcceptances(new MongoConversationAcceptances(db), deps.settings.sequenceCacheSize),
    publisher: infra.producer,
    logger: logger.child({ worker: 'route' }),
    metrics: createRouteMetrics(registry),
    sequenceCacheSize: deps.settings.sequenceCacheSize,
  });
  // Partitions may have moved: cached counters of conversations numbered elsewhere meanwhile are stale.
  route.kafkaConsumer.on(route.kafkaConsumer.events.GROUP_JOIN, () => routeHandler.rebalanced());
  const statusHandler = createStatusWriterHandler({ store: new MongoStatusStore(db), rejected, publisher: infra.producer, logger: logger.child({ worker: 'status-writer' }), registry });
  return {
    start: async () => {
      await ensureIndexes(db, pipelineIndexes);
      await Promise.all([route.start(coalesceBatches(routeHandler, { groups: deps.settings.writeGroups })), status.start(coalesceBatches((batches) => statusHandler(batches.flatMap((b) => b.records), batches[0]!.ctx), { groups: deps.settings.writeGroups }))]);
      logger.info({ groups: [ConsumerGroups.route, ConsumerGroups.status] }, 'pipeline workers started');
    },
    stop: async () => {
      await Promise.all([route.stop(), status.stop()]);
    },
  };
}
