import { z } from 'zod';
import { UuidSchema } from './ids';
import { UsernameSchema } from './identity';

export const CHANNELS = ['internal', 'telegram', 'whatsapp', 'instagram', 'messenger'] as const;
export const ChannelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof ChannelSchema>;
/** Channels reached through a connector (everything but the hub's own WebSocket clients). */
export type ExternalChannel = Exclude<Channel, 'internal'>;

export const MAX_TEXT_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;
export const MAX_RECIPIENTS = 256;

export const TextPayloadSchema = z.strictObject({
  type: z.literal('text'),
  text: z.string().trim().min(1, 'must not be empty').max(MAX_TEXT_LENGTH, `must be at most ${MAX_TEXT_LENGTH} characters`),
});

export const FilePayloadSchema = z.strictObject({
  type: z.literal('file'),
  file_id: UuidSchema,
  caption: z.string().max(MAX_CAPTION_LENGTH).optional(),
});

export const PayloadSchema = z.discriminatedUnion('type', [TextPayloadSchema, FilePayloadSchema]);
export type Payload = z.infer<typeof PayloadSchema>;

/** File details carried on a file message once the hub resolved its file_id. */
export interface FileInfo {
  file_id: string;
  filename: string;
  size: number;
  content_type: string;
  sha256: string;
}

/** Body of POST /v1/messages. `to` defaults to every other member of the conversation. */
export const SendMessageRequestSchema = z.strictObject({
  message_id: UuidSchema.optional(),
  conversation_id: UuidSchema,
  from: UsernameSchema,
  to: z.array(UsernameSchema).min(1).max(MAX_RECIPIENTS).optional(),
  channels: z
    .array(ChannelSchema)
    .min(1)
    .max(CHANNELS.length)
    .refine((cs) => new Set(cs).size === cs.length, 'channels must not repeat')
    .default(['internal']),
  payload: PayloadSchema,
});
export type SendMessageRequest = z.infer<typeof SendMessageRequestSchema>;

export type MessageSource = 'api' | 'ws' | 'telegram' | 'whatsapp' | 'instagram' | 'messenger';

/** Payload of `message.accepted` envelopes on hub.messages.v1 (key: conversation_id). */
export interface MessageEvent {
  message_id: string;
  conversation_id: string;
  from: string;
  to: string[];
  channels: Channel[];
  payload: Payload;
  /** Present on file messages: the file's metadata at accept time. */
  file?: FileInfo;
  source: MessageSource;
  accepted_at: string;
  trace_id?: string;
  client_msg_id?: string;
  /** Who submitted it: `user:alice` or `client:<client_id>`. */
  submitted_by: string;
}

export const MESSAGE_ACCEPTED = 'message.accepted';
export const MESSAGE_STATUS = 'message.status';

/** A message as the router stored it: the accepted event plus its gap-free place in the conversation. */
export interface StoredMessage extends MessageEvent {
  /** 1, 2, 3 … per conversation, in the order the router took the messages off the conversation's partition. */
  sequence_number: number;
  stored_at: string;
}
