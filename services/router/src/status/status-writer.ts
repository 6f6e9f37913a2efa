import { MESSAGE_STATUS, StatusEventSchema } from '@hub/domain';
import type { RejectedRecords, StatusRecord, StatusStore } from '@hub/messages';
import { Counter, traceIds, type BatchHandler, type EventPublisher, type Logger, type Registry } from '@hub/platform';
import { poisonDeadLetter, recordDeadLetters } from '../route/message-records';

export interface StatusWriterDeps {
  store: StatusStore;
  /** Where refused records are kept for operators (beside hub.dlq.v1). */
  rejected: RejectedRecords;
  publisher: EventPublisher;
  logger: Logger;
  registry: Registry;
}

/**
 * The single writer of status history (consumer group `status-writer`,
 * hub.status.v1 → `status_events`). Everyone who changes a status — the
 * route worker, the presence gateway (delivered/read), the connectors
 * (sent/retrying/failed) — only publishes a StatusEvent on hub.status.v1;
 * this worker appends them in batches (one insertMany per batch, no
 * per-message update), idempotently by envelope id. Forward-only order is
 * applied when the log is read (buildStatusView), so events may arrive
 * late or twice.
 */
export function createStatusWriterHandler(deps: StatusWriterDeps): BatchHandler {
  const appended = new Counter({
    name: 'hub_status_events_recorded_total',
    help: 'Status events appended to the status log',
    registers: [deps.registry],
  });
  // Every status change of every delivery passes here: the one place to count delivered / failed per channel.
  const statuses = new Counter({
    name: 'hub_delivery_statuses_total',
    help: 'Status events of deliveries read from hub.status.v1, by channel and status (a redelivered record counts again)',
    labelNames: ['channel', 'status'],
    registers: [deps.registry],
  });
  const refused = new Counter({
    name: 'hub_status_events_dead_lettered_total',
    help: 'Records on hub.status.v1 that were not StatusEvents (sent to hub.dlq.v1)',
    registers: [deps.registry],
  });

  return async (records) => {
    const rows: StatusRecord[] = [];
    const deadLetters = [];
    for (const record of records) {
      const env = record.envelope;
      if (!env || env.type !== MESSAGE_STATUS) {
        deadLetters.push(
          poisonDeadLetter(
            record,
            record.poison?.reason ?? `unexpected envelope type "${env?.type}" on hub.status.v1`,
            undefined,
            new Date(),
          ),
        );
        continue;
      }
      const parsed = StatusEventSchema.safeParse(env.payload);
      if (!parsed.success) {
        const reason = `invalid StatusEvent: ${parsed.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`;
        deadLetters.push(poisonDeadLetter(record, reason, undefined, new Date()));
        continue;
      }
      const e = parsed.data;
      const row: StatusRecord = {
        id: env.id,
        message_id: e.message_id,
        conversation_id: e.conversation_id,
        recipient: e.recipient,
        channel: e.channel,
        status: e.status,
        at: e.occurred_at,
      };
      if (e.detail !== undefined) row.detail = e.detail;
      if (e.external_id !== undefined) row.external_id = e.external_id;
      if (e.reopened) row.reopened = true;
      // The hop that published it, for the message's timeline (tracing off: none, unless a caller passed one through).
      const ids = traceIds(record.traceContext);
      if (ids) Object.assign(row, ids);
      rows.push(row);
      statuses.inc({ channel: e.channel, status: e.status });
    }
    if (deadLetters.length > 0) {
      await recordDeadLetters(deps.rejected, deps.publisher, deadLetters);
      refused.inc(deadLetters.length);
      deps.logger.warn({ count: deadLetters.length }, 'status records dead-lettered');
    }
    const { appended: n } = await deps.store.append(rows);
    appended.inc(n);
  };
}
