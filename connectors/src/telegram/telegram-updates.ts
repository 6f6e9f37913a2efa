import type { Message, Update } from 'grammy/types';
import { z } from 'zod';
import { InboundParseError, type ExternalSender, type InboundEvent } from '../connector';

/*
 * Telegram adds fields to updates over time, so the schema checks only the
 * fields the hub reads and lets others through (unlike the hub's own API
 * bodies, which are strict). Whatever passes is then handled with grammY's
 * `Update`/`Message` types.
 */
const ChatSchema = z.object({
  id: z.number().int(),
  type: z.string(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  title: z.string().optional(),
});
const UserSchema = z.object({
  id: z.number().int(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});
const DocumentSchema = z.object({
  file_id: z.string().min(1),
  file_unique_id: z.string(),
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
  file_size: z.number().int().nonnegative().optional(),
});
const MessageSchema = z.object({
  message_id: z.number().int(),
  date: z.number().int(),
  chat: ChatSchema,
  from: UserSchema.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  document: DocumentSchema.optional(),
  reply_to_message: z.object({ message_id: z.number().int() }).optional(),
});
const UpdateSchema = z.object({ update_id: z.number().int().nonnegative(), message: MessageSchema.optional() });

/** Kinds of update the bridge acts on; all others are acknowledged and ignored. */
const HANDLED = ['message'] as const;

/** One Telegram update (a webhook body) → at most one hub event. Throws InboundParseError for malformed bodies. */
export function parseTelegramUpdate(body: unknown): InboundEvent[] {
  const parsed = UpdateSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    throw new InboundParseError(`not a Telegram update: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
  }
  const update = body as Update;
  const eventId = String(update.update_id);
  const message = update.message;
  if (!message) {
    const kind = Object.keys(update).find((k) => k !== 'update_id') ?? 'empty';
    return [
      { kind: 'ignored', eventId, reason: HANDLED.includes(kind as never) ? 'empty update' : `update type "${kind}" is not handled` },
    ];
  }
  const from = sender(message);
  const externalMessageId = String(message.message_id);
  const replyTo = message.reply_to_message ? { replyTo: String(message.reply_to_message.message_id) } : {};
  if (message.text !== undefined) {
    const command = /^\/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$/.exec(message.text.trim());
    if (command)
      return [
        { kind: 'command', eventId, from, externalMessageId, command: command[1]!.toLowerCase(), argument: (command[2] ?? '').trim() },
      ];
    return [{ kind: 'text', eventId, from, externalMessageId, text: message.text, ...replyTo }];
  }
  if (message.document) {
    const d = message.document;
    return [
      {
        kind: 'file',
        eventId,
        from,
        externalMessageId,
        file: {
          providerFileId: d.file_id,
          ...(d.file_name ? { filename: d.file_name } : {}),
          ...(d.mime_type ? { contentType: d.mime_type } : {}),
          ...(d.file_size !== undefined ? { size: d.file_size } : {}),
        },
        ...(message.caption !== undefined ? { caption: message.caption } : {}),
        ...replyTo,
      },
    ];
  }
  return [{ kind: 'ignored', eventId, from, reason: 'only text and documents are handled' }];
}

function sender(message: Message): ExternalSender {
  const u = message.from;
  const name = u ? [u.first_name, u.last_name].filter(Boolean).join(' ') : (message.chat.title ?? message.chat.first_name);
  return { externalId: String(message.chat.id), ...(name ? { displayName: name } : {}) };
}
