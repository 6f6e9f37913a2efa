import type { FileEvent, StatusEvent } from '@hub/domain';
import { eventTypeForStatus, PING_EVENT } from './events';

/**
 * The JSON body of every webhook call, in the Standard Webhooks shape:
 * `type` (the event type), `timestamp` (when it happened) and `data`.
 */
export interface WebhookPayload<T = unknown> {
  type: string;
  timestamp: string;
  data: T;
}

/** `data` of message.* events: what happened to one message for one recipient on one channel. */
export interface MessageStatusData {
  message_id: string;
  conversation_id: string;
  recipient: string;
  channel: string;
  status: string;
  /** When the status changed. */
  occurred_at: string;
  /** Why, for failures and retries (the provider's error, `no_mapping`, …). */
  detail?: string;
  external_id?: string;
  sequence_number?: number;
  from: string;
}

export function statusPayload(e: StatusEvent): WebhookPayload<MessageStatusData> {
  return {
    type: eventTypeForStatus(e.status),
    timestamp: e.occurred_at,
    data: {
      message_id: e.message_id,
      conversation_id: e.conversation_id,
      recipient: e.recipient,
      channel: e.channel,
      status: e.status,
      occurred_at: e.occurred_at,
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
      ...(e.external_id !== undefined ? { external_id: e.external_id } : {}),
      ...(e.sequence_number !== undefined ? { sequence_number: e.sequence_number } : {}),
      from: e.from,
    },
  };
}

export function filePayload(e: FileEvent, type: string): WebhookPayload<FileEvent> {
  return { type, timestamp: e.completed_at, data: e };
}

export function pingPayload(webhookId: string, at: Date): WebhookPayload<{ webhook_id: string; message: string }> {
  return {
    type: PING_EVENT,
    timestamp: at.toISOString(),
    data: { webhook_id: webhookId, message: 'test event from POST /v1/webhooks/{id}/test' },
  };
}

/** The webhook-id of an event: `msg_` and the id of the Kafka envelope that carried it (kept across redeliveries). */
export function eventIdOf(envelopeId: string): string {
  return `msg_${envelopeId}`;
}
