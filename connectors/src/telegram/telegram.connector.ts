import { Api, InputFile } from 'grammy';
import { PermanentError } from '@hub/domain';
import type { Connector, ConnectorCapabilities, InboundEvent, OutboundFile, OutboundText, SendOptions, SentMessage } from '../connector';
import { toDeliveryError } from './telegram-errors';
import { parseTelegramUpdate } from './telegram-updates';

export interface TelegramConnectorOptions {
  token: string;
  /** Bot API root without trailing slash: https://api.telegram.org, a self-hosted Bot API server, or a test fake. */
  apiRoot: string;
  /** Largest file Telegram downloads from a URL itself (20 MB on the public Bot API). */
  maxUrlBytes?: number;
  /** Largest file the bot may upload (50 MB on the public Bot API, 2 GB on a self-hosted server). */
  maxUploadBytes?: number;
  /** grammY's own request deadline, a backstop behind the resilience wrapper's timeout. */
  requestTimeoutSeconds?: number;
}

/** sendDocument by URL works only for these types on the public Bot API; others are uploaded. */
/** grammY types signals with its abort-controller polyfill; Node's native AbortSignal is what it gets at run time. */
type GrammySignal = Parameters<Api['getMe']>[0];
const grammySignal = (s: AbortSignal | undefined) => s as unknown as GrammySignal;

const URL_DOCUMENT_TYPES = new Set(['application/pdf', 'application/zip', 'image/gif']);
const CHAT_ID = /^-?\d{1,16}$|^@[A-Za-z0-9_]{5,32}$/;

/**
 * Telegram through grammY's `Api` (no polling, no bot framework: the hub
 * receives updates on its own webhook). Text goes with `sendMessage`,
 * files with `sendDocument`: by URL (Telegram fetches the presigned link)
 * within Telegram's URL limits, uploaded by the connector up to the upload
 * limit, and as a download-link message above it. The Telegram message id
 * is the external id.
 */
export class TelegramConnector implements Connector {
  readonly channel = 'telegram' as const;
  readonly capabilities: ConnectorCapabilities;
  readonly api: Api;
  private me?: Promise<{ username: string }>;

  constructor(private readonly opts: TelegramConnectorOptions) {
    this.api = new Api(opts.token, { apiRoot: opts.apiRoot.replace(/\/+$/, ''), timeoutSeconds: opts.requestTimeoutSeconds ?? 30 });
    this.capabilities = {
      maxTextLength: 4096,
      files: { maxUrlBytes: opts.maxUrlBytes ?? 20 * 1024 * 1024, maxUploadBytes: opts.maxUploadBytes ?? 50 * 1024 * 1024 },
    };
  }

  async send(message: OutboundText, opts: SendOptions = {}): Promise<SentMessage> {
    const chatId = parseChatId(message.to);
    if (message.text.length > this.capabilities.maxTextLength)
      throw new PermanentError(`text longer than Telegram's ${this.capabilities.maxTextLength} characters`, 'message_too_long');
    return this.call(opts.signal, async () => {
      const sent = await this.api.sendMessage(
        chatId,
        message.text,
        { link_preview_options: { is_disabled: true } },
        grammySignal(opts.signal),
      );
      return { externalId: String(sent.message_id) };
    });
  }

  async sendFile(message: OutboundFile, opts: SendOptions = {}): Promise<SentMessage> {
    const chatId = parseChatId(message.to);
    const { file } = message;
    const caption = message.caption ? { caption: message.caption.slice(0, 1024) } : {};
    const files = this.capabilities.files as Exclude<ConnectorCapabilities['files'], false>;
    if (file.size <= files.maxUrlBytes && URL_DOCUMENT_TYPES.has(file.contentType)) {
      return this.call(opts.signal, async () => {
        const sent = await this.api.sendDocument(chatId, file.url, caption, grammySignal(opts.signal));
        return { externalId: String(sent.message_id) };
      });
    }
    if (file.size <= files.maxUploadBytes) {
      return this.call(opts.signal, async () => {
        // Streamed from the object store to Telegram; the bytes are never held in memory whole.
        const sent = await this.api.sendDocument(
          chatId,
          new InputFile(new URL(file.url), file.filename),
          caption,
          grammySignal(opts.signal),
        );
        return { externalId: String(sent.message_id) };
      });
    }
    const text = [message.caption, `📎 ${file.filename} (${formatSize(file.size)}): ${file.url}`].filter(Boolean).join('\n\n');
    return this.send({ to: message.to, text }, opts);
  }

  parseInbound(body: unknown): InboundEvent[] {
    return parseTelegramUpdate(body);
  }

  async health(): Promise<void> {
    await this.call(undefined, () => this.api.getMe());
  }

  /** The bot's @username (for t.me deep links), fetched once with getMe. */
  async botUsername(): Promise<string> {
    this.me ??= this.call(undefined, () => this.api.getMe()).then((me) => ({ username: me.username }));
    try {
      return (await this.me).username;
    } catch (err) {
      this.me = undefined;
      throw err;
    }
  }

  /** Registers the hub's webhook URL with Telegram, with the secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token. */
  async setWebhook(url: string, secretToken: string): Promise<void> {
    await this.call(undefined, () => this.api.setWebhook(url, { secret_token: secretToken, allowed_updates: ['message'] }));
  }

  /** Downloads a file a Telegram user sent (getFile, then the file endpoint of the same API root). */
  async downloadFile(
    providerFileId: string,
    opts: SendOptions = {},
  ): Promise<{ body: ReadableStream<Uint8Array>; size?: number; path: string }> {
    const file = await this.call(opts.signal, () => this.api.getFile(providerFileId, grammySignal(opts.signal)));
    if (!file.file_path) throw new PermanentError('telegram: file is not downloadable (too big for the Bot API)', 'file_unavailable');
    const root = this.opts.apiRoot.replace(/\/+$/, '');
    const res = await this.call(opts.signal, () =>
      fetch(`${root}/file/bot${this.opts.token}/${file.file_path}`, { signal: opts.signal ?? null }),
    );
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw toDeliveryError(new Error(`file download answered ${res.status}`), this.opts.token);
    }
    return { body: res.body, ...(file.file_size !== undefined ? { size: file.file_size } : {}), path: file.file_path };
  }

  private async call<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toDeliveryError(err, this.opts.token, signal);
    }
  }
}

function parseChatId(externalId: string): number | string {
  if (!CHAT_ID.test(externalId))
    throw new PermanentError(`not a Telegram chat id: ${JSON.stringify(externalId.slice(0, 40))}`, 'invalid_recipient');
  return externalId.startsWith('@') ? externalId : Number(externalId);
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}
