import { RetryScheduler } from '@hub/outbound';
import { deadLetterIndexes, MongoDeadLetterStore, MongoOutboundLedger, outboundLedgerIndexes } from '@hub/outbound/adapters';
import { ensureIndexes, type EventPublisher, type MongoHandle } from '@hub/platform';

/** Where outbound deliveries stand and how their retries and dead letters are published. */
export interface OutboundRecords {
  ledger: MongoOutboundLedger;
  deadLetters: MongoDeadLetterStore;
  scheduler: RetryScheduler;
}

/** The ledger, dead letters and retry scheduler, with their indexes in place (the sweeper needs only these, no connectors). */
export async function createOutboundRecords(db: MongoHandle['db'], publisher: EventPublisher): Promise<OutboundRecords> {
  await ensureIndexes(db, { ...outboundLedgerIndexes, ...deadLetterIndexes });
  const ledger = new MongoOutboundLedger(db);
  const deadLetters = new MongoDeadLetterStore(db);
  return { ledger, deadLetters, scheduler: new RetryScheduler({ ledger, deadLetters, publisher }) };
}
