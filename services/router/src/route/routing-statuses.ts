import { MESSAGE_STATUS, Topics, makeEnvelope, nameBasedId, type StatusEvent, type StoredMessage } from '@hub/domain';
import type { OutgoingEvent } from '@hub/platform';
import { outcomeStatus, type DeliveryOutcome, type DeliveryRequest } from '../ports/hand-over';

/** Namespace of routing status event ids (see routingStatusEvent). */
const ROUTING_STATUS_NAMESPACE = '3b5f6c1e-2a4d-5e8f-9b7c-0d1e2f3a4b5c';

/** Every (recipient, channel) hand-over a stored message needs. */
export function deliveryRequests(message: StoredMessage): DeliveryRequest[] {
  return message.to.flatMap((recipient) => message.channels.map((channel) => ({ message, recipient, channel })));
}

/**
 * The StatusEvent recording one routing outcome, as a record for
 * hub.status.v1. Its envelope id is derived from (message, recipient,
 * channel, status): routing the same message again after a crash yields the
 * same id, and the status writer stores it once.
 */
export function routingStatusEvent(request: DeliveryRequest, outcome: DeliveryOutcome, now: Date): OutgoingEvent {
  const m = request.message;
  const status = outcomeStatus(outcome);
  const event: StatusEvent = {
    message_id: m.message_id,
    conversation_id: m.conversation_id,
    recipient: request.recipient,
    channel: request.channel,
    status,
    sequence_number: m.sequence_number,
    from: m.from,
    submitted_by: m.submitted_by,
    occurred_at: now.toISOString(),
  };
  const detail = outcome.kind === 'failed' ? [outcome.reason, outcome.detail].filter(Boolean).join(': ') : outcome.detail;
  if (detail) event.detail = detail;
  if (outcome.kind === 'sent' && outcome.externalId) event.external_id = outcome.externalId;
  const id = nameBasedId(ROUTING_STATUS_NAMESPACE, `${m.message_id}|${request.recipient}|${request.channel}|${status}`);
  // The status continues the hand-over's trace (status writer, webhooks).
  return { topic: Topics.status, key: m.conversation_id, envelope: makeEnvelope(MESSAGE_STATUS, event, { id }), messageId: m.message_id, ...(request.trace ? { traceContext: request.trace } : {}) };
}
