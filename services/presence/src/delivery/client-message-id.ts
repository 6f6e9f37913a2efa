import { nameBasedId } from '@hub/domain';

/** Namespace of ids derived from WebSocket `client_msg_id`s (a fixed random UUID). */
const NAMESPACE = '5b0a6f0e-9c8d-4b7a-8f1e-2d3c4b5a6978';

/**
 * The message_id of a WebSocket `send`: a name-based id of the sender and
 * their client_msg_id. A resend after a lost `accepted` gets the same id,
 * so the pipeline's dedup by message_id stores it once.
 */
export function messageIdFor(user: string, clientMsgId: string): string {
  return nameBasedId(NAMESPACE, `${user}\n${clientMsgId}`);
}
