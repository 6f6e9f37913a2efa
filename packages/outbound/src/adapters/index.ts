// Driver-backed implementations of @hub/outbound's ports, for composition roots (main.ts, compose-*.ts) and
// integration tests. Domain code depends on the ports from '@hub/outbound', never on these.
export { outboundLedgerIndexes, MongoOutboundLedger } from './mongo-outbound-ledger';
export { deadLetterIndexes, MongoDeadLetterStore } from './mongo-dead-letter-store';
