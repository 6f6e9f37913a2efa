/**
 * The WebSocket protocol's frames (docs/websocket.md): JSON text frames
 * `{op, d}`. Written by hand from the protocol reference; the AsyncAPI
 * document (issue 19, item 1) will describe the same shapes.
 */
import type { components } from './generated/hub-api.js';

export type ChannelName = 'internal' | 'telegram' | 'whatsapp' | 'instagram' | 'messenger';
export type DeliveryStatus = 'accepted' | 'pending' | 'retrying' | 'sent' | 'delivered' | 'read' | 'failed';

/** A message's payload (text or file), as the REST API defines it. */
export type MessagePayload = components['schemas']['SendMessageRequest']['payload'];

export interface FileInfo {
  file_id: string;
  filename: string;
  size: number;
  content_type: string;
  sha256: string;
}

export interface HelloData {
  heartbeat_interval: number;
  node: string;
  user: string;
}

export interface MessageData {
  message_id: string;
  conversation_id: string;
  sequence_number: number;
  from: string;
  payload: MessagePayload;
  file?: FileInfo;
  created_at: string;
}

export interface AcceptedData {
  client_msg_id: string;
  message_id: string;
}

export interface StatusData {
  message_id: string;
  conversation_id?: string;
  recipient: string;
  channel: ChannelName;
  status: DeliveryStatus;
}

export interface TypingData {
  conversation_id: string;
  user: string;
  expires_in_ms: number;
}

export interface PresenceData {
  user: string;
  status: 'online' | 'offline';
}

export type FrameErrorCode =
  | 'invalid_json'
  | 'invalid_frame'
  | 'unknown_op'
  | 'validation_failed'
  | 'rate_limited'
  | 'not_member'
  | 'not_accepted'
  | 'not_found'
  | 'sequence_out_of_range'
  | 'forbidden'
  | 'message_id_taken'
  | 'message_id_reused'
  | 'unavailable'
  | 'internal';

export interface ErrorData {
  code: FrameErrorCode;
  message: string;
  op?: string;
  client_msg_id?: string;
}

export type ServerFrame =
  | { op: 'hello'; d: HelloData }
  | { op: 'pong'; d?: Record<string, never> }
  | { op: 'message'; d: MessageData }
  | { op: 'accepted'; d: AcceptedData }
  | { op: 'status'; d: StatusData }
  | { op: 'typing'; d: TypingData }
  | { op: 'presence'; d: PresenceData }
  | { op: 'error'; d: ErrorData };

export type ClientFrame =
  | { op: 'ping' }
  | { op: 'ack'; d: { message_id: string } }
  | { op: 'read'; d: { conversation_id: string; up_to_seq: number } }
  | { op: 'send'; d: { client_msg_id: string; conversation_id: string; payload: MessagePayload } }
  | { op: 'typing'; d: { conversation_id: string } }
  | { op: 'resume'; d: { conversations: Record<string, number> } };

/** Close codes the hub uses (docs/websocket.md, "Limits and close codes"). */
export const CloseCodes = {
  goingAway: 1001,
  tooBig: 1009,
  serverError: 1011,
  sessionRevoked: 4001,
  heartbeatTimeout: 4002,
  slowConsumer: 4003,
  rateLimited: 4008,
  tokenExpired: 4010,
} as const;
