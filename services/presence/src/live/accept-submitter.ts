import { SendMessageRequestSchema, type Payload, type Principal } from '@hub/domain';
import type { MessageAccept } from '@hub/messages';
import { validationProblem } from '@hub/platform';
import type { MessageSubmitter } from '../ports/message-submitter';

/**
 * MessageSubmitter on the pipeline's MessageAccept: a WebSocket `send` is
 * the REST body `{conversation_id, from: <you>, payload}` (to every other
 * member, on the default channels) with `client_msg_id` as its
 * Idempotency-Key, validated by the same schema and accepted by the same code.
 */
export class AcceptSubmitter implements MessageSubmitter {
  constructor(private readonly accept: MessageAccept) {}

  async submit(
    principal: Extract<Principal, { kind: 'user' }>,
    message: { conversation_id: string; payload: Payload },
    clientMsgId: string,
  ): Promise<{ message_id: string }> {
    const parsed = SendMessageRequestSchema.safeParse({
      conversation_id: message.conversation_id,
      from: principal.subject,
      payload: message.payload,
    });
    if (!parsed.success) throw validationProblem(parsed.error);
    const { message_id } = await this.accept.accept({
      origin: { kind: 'principal', principal },
      request: parsed.data,
      source: 'ws',
      idempotencyKey: clientMsgId,
      clientMsgId,
    });
    return { message_id };
  }
}
