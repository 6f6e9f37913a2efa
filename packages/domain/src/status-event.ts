import { makeEnvelope, type Envelope } from './envelope';
import { nameBasedId } from './ids';
import { MESSAGE_STATUS, type Channel, type StoredMessage } from './message';
import type { Status, StatusEvent } from './status';
import { Topics } from './topics';

/** The message fields every StatusEvent carries. */
export type StatusSubject = Pick<StoredMessage, 'message_id' | 'conversation_id' | 'sequence_number' | 'from' | 'submitted_by'>;

/** One recipient's change of status, as the stage that saw it reports it. */
export interface StatusChange {
  recipient: string;
  channel: Channel;
  status: Status;
  at: Date;
  /** Why (failures, retries, replays); left out when empty. */
  detail?: string | undefined;
  /** The provider's id of the delivered message; left out when empty. */
  externalId?: string | undefined;
  /** The `retrying` event of a dead-letter replay. */
  reopened?: true;
}

/** The one way a StatusEvent for hub.status.v1 is built (router, presence and the outbound retry scheduler). */
export function statusEvent(m: StatusSubject, c: StatusChange): StatusEvent {
  return {
    message_id: m.message_id,
    conversation_id: m.conversation_id,
    recipient: c.recipient,
    channel: c.channel,
    status: c.status,
    ...(c.detail ? { detail: c.detail } : {}),
    ...(c.externalId ? { external_id: c.externalId } : {}),
    ...(c.reopened ? { reopened: true as const } : {}),
    sequence_number: m.sequence_number,
    from: m.from,
    submitted_by: m.submitted_by,
    occurred_at: c.at.toISOString(),
  };
}

/**
 * An envelope id derived from (message, recipient, channel, status) in a
 * namespace of the stage that records it: the same change recorded twice
 * (a redelivered record, an ack sent twice) gets the same id, and the status
 * writer stores it once.
 */
export function statusEventId(namespace: string, e: Pick<StatusEvent, 'message_id' | 'recipient' | 'channel' | 'status'>): string {
  return nameBasedId(namespace, `${e.message_id}|${e.recipient}|${e.channel}|${e.status}`);
}

/**
 * The hub.status.v1 record of a StatusEvent: keyed by conversation_id so a
 * conversation's statuses stay in order. `id`: the envelope id when it must
 * be stable (statusEventId); a fresh one otherwise.
 */
export function statusRecord(e: StatusEvent, id?: string): { topic: string; key: string; envelope: Envelope<StatusEvent> } {
  return { topic: Topics.status, key: e.conversation_id, envelope: makeEnvelope(MESSAGE_STATUS, e, id === undefined ? {} : { id }) };
}
