import type { DeadLetterStore, OutboundLedger, RetryScheduler } from '@hub/outbound';
import type { RejectedRecords } from '@hub/messages';
import type { Logger } from '@hub/platform';
import type { MiddlewareHandler } from 'hono';

/** What the dead-letter admin routes need, built once at boot (compose-dlq.ts). */
export interface DlqDeps {
  deadLetters: DeadLetterStore;
  /** Records the router refused (GET /v1/dlq/records). */
  rejected: RejectedRecords;
  ledger: OutboundLedger;
  scheduler: RetryScheduler;
  /** Authenticates and rate-limits (identity's auth stack). */
  authenticate: MiddlewareHandler;
  logger: Logger;
}
