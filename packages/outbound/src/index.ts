// External-channel retries: ledger and dead-letter ports, backoff, replay. MongoDB adapters: '@hub/outbound/adapters'.
export { deliveryId, laneOf, RETRY_RECORD, type RetryReason, type RetryRecord, RetryRecordSchema, type DeadLetter } from './records';
export { backoffDelayMs, type BackoffPolicy } from './backoff';
export { outboundConfigSchema, type OutboundConfig } from './config';
export type { LedgerState, LedgerEntry, ScheduleInput, FinishInput, LaneTail, OutboundLedger } from './ports/outbound-ledger';
export type { DeadLetterQuery, DeadLetterStore } from './ports/dead-letter-store';
export { type ScheduleRequest, type DeadLetterRequest, RetryScheduler } from './retry-scheduler';
export { replayDeadLetter, type ReplayResult } from './replay';
