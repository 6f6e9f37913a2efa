import { ConsumerGroups, Topics } from '@hub/domain';
import { pipelineIndexes } from '@hub/messages';
import { MongoRejectedRecords, MongoStatusStore } from '@hub/messages/adapters';
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
import type { RouterWorker } from '../workers';
import { createStatusWriterHandler } from './status-writer';

/**
 * The `status` worker (consumer group `status-writer`, hub.status.v1 →
 * `status_events`): the single writer of status history. Scales out by
 * running more router processes with it, up to the partition count.
 */
export function createStatusWorker(deps: {
  kafka: NonNullable<Infra['kafka']>;
  publisher: EventPublisher;
  db: MongoHandle['db'];
  logger: Logger;
  registry: Registry;
  settings: { partitionConcurrency: number; writeGroups: number };
}): RouterWorker {
  const { db, logger, settings } = deps;
  const consumer = new EventConsumer(
    deps.kafka,
    { groupId: ConsumerGroups.status, topics: [Topics.status], partitionsConsumedConcurrently: settings.partitionConcurrency },
    logger,
  );
  const handler = createStatusWriterHandler({
    store: new MongoStatusStore(db),
    rejected: new MongoRejectedRecords(db),
    publisher: deps.publisher,
    logger: logger.child({ worker: 'status-writer' }),
    registry: deps.registry,
  });
  return {
    start: async () => {
      await ensureIndexes(db, pipelineIndexes);
      await consumer.start(
        coalesceBatches(
          (batches) =>
            handler(
              batches.flatMap((b) => b.records),
              batches[0]!.ctx,
            ),
          { groups: settings.writeGroups },
        ),
      );
      logger.info({ group: ConsumerGroups.status }, 'status worker started');
    },
    stop: () => consumer.stop(),
  };
}
