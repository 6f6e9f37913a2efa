import { statusEvent, statusEventId, statusRecord, type StoredMessage } from '@hub/domain';
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
  const detail = outcome.kind === 'failed' ? [outcome.reason, outcome.detail].filter(Boolean).join(': ') : outcome.detail;
  const event = statusEvent(m, {
    recipient: request.recipient,
    channel: request.channel,
    status,
    detail,
    externalId: outcome.kind === 'sent' ? outcome.externalId : undefined,
    at: now,
  });
  // The status continues the hand-over's trace (status writer, webhooks).
  return {
    ...statusRecord(event, statusEventId(ROUTING_STATUS_NAMESPACE, event)),
    messageId: m.message_id,
    ...(request.trace ? { traceContext: request.trace } : {}),
  };
}
