import { createHash } from 'node:crypto';

/** Namespace of ids derived from WebSocket `client_msg_id`s (a fixed random UUID). */
const NAMESPACE = Buffer.from('5b0a6f0e9c8d4b7a8f1e2d3c4b5a6978', 'hex');

/**
 * The message_id of a WebSocket `send`: a name-based UUID (RFC 9562 v5) of
 * the sender and their client_msg_id. A resend after a lost `accepted`
 * gets the same id, so the pipeline's dedup by message_id stores it once.
 */
export function messageIdFor(user: string, clientMsgId: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${user}\u0000${clientMsgId}`, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
