import { MESSAGE_ACCEPTED, MessageEventSchema, RECORD_POISON, makeEnvelope, type MessageEvent, type PoisonRecord } from '@hub/domain';
import type { RejectedRecord, RejectedRecords } from '@hub/messages';
import type { ConsumedRecord, EventPublisher, OutgoingEvent } from '@hub/platform';
import { Topics } from '@hub/domain';

export type DecodedRecord =
  | { kind: 'message'; record: ConsumedRecord; event: MessageEvent }
  | { kind: 'poison'; record: ConsumedRecord; reason: string; messageId?: string };

/** Turns a consumed record into a MessageEvent, or says why it is poison (never throws). */
export function decodeMessageRecord(record: ConsumedRecord): DecodedRecord {
  if (record.poison) return { kind: 'poison', record, reason: record.poison.reason };
  const env = record.envelope!;
  const messageId =
    typeof (env.payload as { message_id?: unknown })?.message_id === 'string'
      ? (env.payload as { message_id: string }).message_id
      : undefined;
  if (env.type !== MESSAGE_ACCEPTED)
    return {
      kind: 'poison',
      record,
      reason: `unexpected envelope type "${env.type}" on ${Topics.messages}`,
      ...(messageId ? { messageId } : {}),
    };
  const parsed = MessageEventSchema.safeParse(env.payload);
  if (!parsed.success) {
    const reason = `invalid MessageEvent: ${parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
      .join('; ')}`;
    return { kind: 'poison', record, reason, ...(messageId ? { messageId } : {}) };
  }
  return { kind: 'message', record, event: parsed.data };
}

/** The dead letter of a record that cannot be processed, for hub.dlq.v1 (same key, so it stays with its conversation). */
export function poisonDeadLetter(record: ConsumedRecord, reason: string, messageId: string | undefined, now: Date): OutgoingEvent {
  const raw = record.poison?.raw ?? JSON.stringify(record.envelope ?? null);
  const payload: PoisonRecord = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    reason,
    raw: raw.slice(0, 4096),
    ...(messageId ? { message_id: messageId } : {}),
    failed_at: now.toISOString(),
  };
  // Deterministic id: a redelivered poison record yields the same dead letter id.
  return {
    topic: Topics.dlq,
    key: record.key ?? `${record.topic}:${record.partition}`,
    envelope: makeEnvelope(RECORD_POISON, payload, { id: `${record.topic}:${record.partition}:${record.offset}` }),
  };
}

/** The stored copy of a dead letter made by poisonDeadLetter (operators list them at GET /v1/dlq/records). */
export function rejectedRecordOf(deadLetter: OutgoingEvent): RejectedRecord {
  return { id: deadLetter.envelope.id, ...(deadLetter.envelope.payload as PoisonRecord) };
}

/** Keeps and publishes dead letters together; both happen before the batch's offsets are committed. */
export async function recordDeadLetters(
  rejected: RejectedRecords,
  publisher: EventPublisher,
  deadLetters: OutgoingEvent[],
  others: OutgoingEvent[] = [],
): Promise<void> {
  await Promise.all([rejected.add(deadLetters.map(rejectedRecordOf)), publisher.publishMany([...deadLetters, ...others])]);
}
