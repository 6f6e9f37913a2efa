import { RetryScheduler } from '@hub/outbound';
import { deadLetterIndexes, outboundLedgerIndexes, MongoDeadLetterStore, MongoOutboundLedger } from '@hub/outbound/adapters';
import { Collections, pipelineIndexes } from '@hub/messages';
import { MongoRejectedRecords } from '@hub/messages/adapters';
import { ensureIndexes, type InfraWith, type Logger } from '@hub/platform';
import type { MiddlewareHandler } from 'hono';
import type { DlqDeps } from './dlq-deps';

/** Builds the dead-letter admin side of the frontend once at boot (called from main.ts). */
export async function composeDlq(
  infra: InfraWith<'mongo' | 'producer'>,
  authenticate: MiddlewareHandler,
  logger: Logger,
): Promise<DlqDeps> {
  await ensureIndexes(infra.mongo.db, {
    ...outboundLedgerIndexes,
    ...deadLetterIndexes,
    [Collections.rejectedRecords]: pipelineIndexes[Collections.rejectedRecords]!,
  });
  const ledger = new MongoOutboundLedger(infra.mongo.db);
  const deadLetters = new MongoDeadLetterStore(infra.mongo.db);
  return {
    ledger,
    deadLetters,
    rejected: new MongoRejectedRecords(infra.mongo.db),
    scheduler: new RetryScheduler({ ledger, deadLetters, publisher: infra.producer }),
    authenticate,
    logger,
  };
}
