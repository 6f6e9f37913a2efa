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

export const MESSAGE_SOURCES = ['api', 'ws', 'telegram', 'whatsapp', 'instagram', 'messenger'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

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

export const FileInfoSchema = z.object({
  file_id: UuidSchema,
  filename: z.string().min(1),
  size: z.number().int().nonnegative(),
  content_type: z.string().min(1),
  sha256: z.string().min(1),
});

/**
 * What a consumer of hub.messages.v1 accepts as a MessageEvent. Not strict:
 * fields added by a newer producer are dropped rather than refused, so
 * producers can roll out first.
 */
export const MessageEventSchema = z.object({
  message_id: UuidSchema,
  conversation_id: UuidSchema,
  from: UsernameSchema,
  to: z.array(UsernameSchema).min(1).max(MAX_RECIPIENTS),
  channels: z.array(ChannelSchema).min(1).max(CHANNELS.length),
  payload: PayloadSchema,
  file: FileInfoSchema.optional(),
  source: z.enum(MESSAGE_SOURCES),
  accepted_at: z.iso.datetime({ offset: true }),
  trace_id: z.string().max(64).optional(),
  client_msg_id: z.string().max(128).optional(),
  submitted_by: z.string().min(1).max(200),
});

/** Envelope type of records on hub.dlq.v1 that could not be processed at all (not JSON, not a valid event). */
export const RECORD_POISON = 'record.poison';

/** Payload of `record.poison`: where the record was, why it was refused, and (the start of) what it held. */
export interface PoisonRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  reason: string;
  /** The record value as text, cut at 4 KiB. */
  raw: string;
  /** The envelope's message id where it could be read, so operators can find what a client sent. */
  message_id?: string;
  failed_at: string;
}
