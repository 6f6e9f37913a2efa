import { SendMessageRequestSchema } from '@hub/domain';
import type { MessageAccept } from '@hub/messages';
import { validationProblem } from '@hub/platform';
import type { InboundMessage, MessageAcceptor } from './ports/message-acceptor';

/**
 * MessageAcceptor on the pipeline's MessageAccept, as a bridge origin: the
 * bridge established the sender itself (a verified chat linked to that
 * user), and the message is checked like any REST message (schema,
 * conversation, membership) before it goes to Kafka. Bridged messages go
 * to the other members on the hub's own channel (`internal`).
 */
export class PipelineMessageAcceptor implements MessageAcceptor {
  constructor(private readonly pipeline: Pick<MessageAccept, 'accept'>) {}

  async accept(m: InboundMessage): Promise<{ message_id: string }> {
    const parsed = SendMessageRequestSchema.safeParse({
      message_id: m.message_id,
      conversation_id: m.conversation_id,
      from: m.from,
      channels: ['internal'],
      payload: m.payload,
    });
    if (!parsed.success) throw validationProblem(parsed.error);
    const { message_id } = await this.pipeline.accept({
      origin: { kind: 'bridge', name: m.source },
      request: parsed.data,
      source: m.source,
    });
    return { message_id };
  }
}
