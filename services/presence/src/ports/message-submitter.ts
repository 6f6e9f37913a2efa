import type { Principal, SendMessageRequest } from '@hub/domain';

/**
 * Port: the message accept path shared with REST (`POST /v1/messages`):
 * same validation, same Kafka write. Resolves once the broker acknowledged;
 * rejects with a ProblemError naming what was wrong (not a member, unknown
 * conversation, Kafka unavailable …).
 */
export interface MessageSubmitter {
  submit(principal: Principal, request: SendMessageRequest, opts: { clientMsgId: string }): Promise<{ message_id: string }>;
}
