import type { InboundEvent } from '@hub/connectors';
import { nameBasedId, PermanentError, type ChannelMapping, type Payload } from '@hub/domain';
import { ProblemError, type ExpiringStore, type Logger } from '@hub/platform';
import type { TelegramLinkCodes } from './link-codes';
import type { InboundFiles } from './ports/inbound-files';
import type { MessageAcceptor } from './ports/message-acceptor';
import type { ReplyTargets } from './ports/reply-targets';

/** Namespace of message ids derived from Telegram update ids (UUIDv5). */
export const TELEGRAM_UPDATE_NAMESPACE = '3c6f2b8e-5d1a-5f4e-8b7c-2a9d0e4f6b13';
/** How long an update id is remembered as handled; Telegram gives up redelivering well before. */
const SEEN_TTL_MS = 24 * 3600_000;

export interface TelegramBridgeDeps {
  parse(body: unknown): InboundEvent[];
  /** Sends a reply to a chat; failures are logged, never thrown (the update was handled). */
  reply(chatId: string, text: string): Promise<void>;
  linkCodes: TelegramLinkCodes;
  /** Stores the chat ↔ user mapping (identity's repository); false when the chat belongs to someone else. */
  link(username: string, chatId: string): Promise<{ ok: true; mapping: ChannelMapping } | { ok: false }>;
  userOfChat(chatId: string): string | undefined;
  targets: ReplyTargets;
  acceptor: MessageAcceptor;
  files?: InboundFiles;
  downloadFile?(providerFileId: string): Promise<{ body: ReadableStream<Uint8Array>; size?: number }>;
  /** Remembers handled update ids (fast path; the accept path's message_id dedup is the guarantee). */
  seen: ExpiringStore;
  /** The bot's numeric id (the token's prefix): update ids are unique per bot. */
  botId: string;
  hubName: string;
  logger: Logger;
}

export type BridgeResult =
  | { result: 'ignored'; reason: string }
  | { result: 'duplicate' }
  | { result: 'linked'; username: string }
  | { result: 'link_refused'; reason: 'invalid_code' | 'chat_linked_to_another_user' }
  | { result: 'not_linked' }
  | { result: 'no_conversation' }
  | { result: 'refused'; reason: string }
  | { result: 'command'; command: string }
  | { result: 'published'; message_id: string; conversation_id: string };

/**
 * Telegram → hub. Each update is handled once (update_id): `/start <code>`
 * links the chat to the account the code was issued for; text and
 * documents from a linked chat are accepted into the user's conversation
 * through the same accept path as REST, under a message id derived from
 * the update id, so a redelivered update is stored once; anything from an
 * unlinked chat gets a reply explaining how to link. Errors that Telegram
 * should retry (the event log down) are thrown; refusals are answered to
 * the user and acknowledged.
 */
export class TelegramBridge {
  constructor(private readonly d: TelegramBridgeDeps) {}

  async handle(body: unknown): Promise<BridgeResult> {
    const [event] = this.d.parse(body);
    if (!event) return { result: 'ignored', reason: 'empty update' };
    if (event.kind === 'ignored') return { result: 'ignored', reason: event.reason };
    const seenKey = `telegram-update:${this.d.botId}:${event.eventId}`;
    if (await this.d.seen.get(seenKey)) return { result: 'duplicate' };
    const result = await this.dispatch(event);
    await this.d.seen.set(seenKey, result.result, SEEN_TTL_MS);
    return result;
  }

  private async dispatch(event: Exclude<InboundEvent, { kind: 'ignored' }>): Promise<BridgeResult> {
    const chatId = event.from.externalId;
    if (event.kind === 'command' && event.command === 'start' && event.argument) return this.linkChat(chatId, event.argument);
    const username = this.d.userOfChat(chatId);
    if (!username) {
      await this.d.reply(
        chatId,
        `This chat is not linked to a ${this.d.hubName} account yet. Sign in to ${this.d.hubName}, create a Telegram link for your account, and open it here.`,
      );
      return { result: 'not_linked' };
    }
    if (event.kind === 'command') {
      await this.d.reply(
        chatId,
        `This chat is linked to ${username}. Messages you write here go to your latest conversation; use "reply" on a message to answer that conversation.`,
      );
      return { result: 'command', command: event.command };
    }
    const conversationId = await this.d.targets.conversationFor(username, event.replyTo);
    if (!conversationId) {
      await this.d.reply(chatId, 'There is no conversation to write into yet. You can answer here as soon as someone writes to you.');
      return { result: 'no_conversation' };
    }
    if (event.kind === 'file' && (!this.d.files || !this.d.downloadFile)) {
      await this.d.reply(chatId, 'Files cannot be forwarded from Telegram here; please send text.');
      return { result: 'refused', reason: 'files_unavailable' };
    }
    const messageId = nameBasedId(TELEGRAM_UPDATE_NAMESPACE, `${this.d.botId}:${event.eventId}`);
    try {
      const payload = await this.payloadOf(event, conversationId, username);
      await this.d.acceptor.accept({ message_id: messageId, conversation_id: conversationId, from: username, payload, source: 'telegram' });
    } catch (err) {
      const refusal =
        err instanceof ProblemError
          ? err.status === 503
            ? undefined
            : (err.detail ?? err.message)
          : err instanceof PermanentError
            ? err.message
            : undefined;
      // Anything else is an outage: Telegram delivers the update again.
      if (refusal === undefined) throw err;
      this.d.logger.info({ username, conversation_id: conversationId, reason: refusal }, 'telegram message refused');
      await this.d.reply(chatId, `Your message could not be delivered: ${refusal}`);
      return { result: 'refused', reason: err instanceof ProblemError ? err.code : (err as PermanentError).reason };
    }
    return { result: 'published', message_id: messageId, conversation_id: conversationId };
  }

  private async linkChat(chatId: string, code: string): Promise<BridgeResult> {
    const username = await this.d.linkCodes.peek(code);
    if (!username) {
      await this.d.reply(chatId, `That link is invalid or has expired. Create a new Telegram link in ${this.d.hubName} and open it again.`);
      return { result: 'link_refused', reason: 'invalid_code' };
    }
    const linked = await this.d.link(username, chatId);
    if (!linked.ok) {
      await this.d.reply(chatId, `This chat is already linked to another ${this.d.hubName} account.`);
      return { result: 'link_refused', reason: 'chat_linked_to_another_user' };
    }
    await this.d.linkCodes.consume(code);
    this.d.logger.info({ event: 'mappings.linked', username, channel: 'telegram', by: 'telegram:/start' }, 'telegram chat linked');
    await this.d.reply(
      chatId,
      `Linked: messages for ${username} now arrive in this chat, and what you write here goes back to ${this.d.hubName}.`,
    );
    return { result: 'linked', username };
  }

  private async payloadOf(
    event: Extract<InboundEvent, { kind: 'text' | 'file' }>,
    conversationId: string,
    username: string,
  ): Promise<Payload> {
    if (event.kind === 'text') return { type: 'text', text: event.text };
    if (!this.d.files || !this.d.downloadFile) throw new PermanentError('files cannot be forwarded here', 'files_unavailable');
    const download = await this.d.downloadFile(event.file.providerFileId);
    const file = await this.d.files.importFile({
      body: download.body,
      filename: event.file.filename ?? 'telegram-file',
      contentType: event.file.contentType ?? 'application/octet-stream',
      ...(download.size !== undefined ? { size: download.size } : event.file.size !== undefined ? { size: event.file.size } : {}),
      conversationId,
      username,
    });
    return { type: 'file', file_id: file.file_id, ...(event.caption ? { caption: event.caption.slice(0, 1024) } : {}) };
  }
}
