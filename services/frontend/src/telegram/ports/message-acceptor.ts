import type { Payload } from '@hub/domain';

/** A message a bridge received, to be accepted like one sent with POST /v1/messages by `from`. */
export interface InboundMessage {
  /** Derived from the provider's event id, so a redelivered webhook yields the same message (stored once). */
  message_id: string;
  conversation_id: string;
  from: string;
  payload: Payload;
  source: 'telegram';
}

/**
 * Port: the message accept path shared with POST /v1/messages (validation,
 * membership, Kafka with acks=all). Resolves once the event log
 * acknowledged; throws ProblemError when the message is refused (the
 * conversation is gone, the sender is not a member) and
 * PublishUnavailableError when the log cannot take it now.
 */
export interface MessageAcceptor {
  accept(message: InboundMessage): Promise<{ message_id: string }>;
}
