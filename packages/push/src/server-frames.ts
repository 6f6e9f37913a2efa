import type { Channel, FileInfo, Payload, Status, StoredMessage } from '@hub/domain';

/**
 * The frames the server sends on the WebSocket (docs/ARCHITECTURE.md,
 * WebSocket frames): JSON text frames `{op, d}`. Client frames and their
 * validation stay with the presence gateway.
 */

/** Error codes of `error` frames (the socket stays open after each). */
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

export interface MessageFrameData {
  message_id: string;
  conversation_id: string;
  sequence_number: number;
  from: string;
  payload: Payload;
  /** File messages: the file's details (fetch a download URL with GET /v1/files/{file_id}). */
  file?: FileInfo;
  created_at: string;
  /** The message's trace id (W3C, 32 hex digits): quote it to find the message's trace and timeline. */
  trace_id?: string;
}

export interface StatusFrameData {
  message_id: string;
  conversation_id?: string;
  recipient: string;
  channel: Channel;
  status: Status;
}

/** Frames the server sends. */
export type ServerFrame =
  | { op: 'hello'; d: { heartbeat_interval: number; node: string; user: string } }
  | { op: 'pong'; d: Record<string, never> }
  | { op: 'message'; d: MessageFrameData }
  | { op: 'accepted'; d: { client_msg_id: string; message_id: string } }
  | { op: 'status'; d: StatusFrameData }
  | { op: 'typing'; d: { conversation_id: string; user: string; expires_in_ms: number } }
  | { op: 'presence'; d: { user: string; status: 'online' | 'offline' } }
  | { op: 'error'; d: { code: FrameErrorCode; message: string; op?: string; client_msg_id?: string } };

export function errorFrame(code: FrameErrorCode, message: string, extra: { op?: string; client_msg_id?: string } = {}): ServerFrame {
  return { op: 'error', d: { code, message, ...extra } };
}

/** The `message` frame of a stored message. */
export function messageFrame(m: StoredMessage): MessageFrameData {
  return {
    message_id: m.message_id,
    conversation_id: m.conversation_id,
    sequence_number: m.sequence_number,
    from: m.from,
    payload: m.payload,
    ...(m.file ? { file: m.file } : {}),
    created_at: m.accepted_at,
    ...(m.trace_id ? { trace_id: m.trace_id } : {}),
  };
}
