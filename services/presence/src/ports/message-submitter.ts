import type { Payload, Principal } from '@hub/domain';

/**
 * Port: the message accept path shared with REST (`POST /v1/messages`):
 * same validation, same Kafka write. `clientMsgId` plays the part of REST's
 * Idempotency-Key, so a resend names the same message. Resolves once the
 * broker acknowledged; rejects with a ProblemError naming what was wrong
 * (not a member, unknown conversation, Kafka unavailable …).
 */
export interface MessageSubmitter {
  submit(
    principal: Extract<Principal, { kind: 'user' }>,
    message: { conversation_id: string; payload: Payload },
    clientMsgId: string,
  ): Promise<{ message_id: string }>;
}
