import type { Logger } from '@hub/platform';
import type { MiddlewareHandler } from 'hono';
import type { TelegramLinkCodes } from './link-codes';
import type { TelegramBridge } from './telegram-bridge';

/** What the Telegram routes need, built once at boot (compose-telegram.ts). */
export interface TelegramDeps {
  bridge: TelegramBridge;
  linkCodes: TelegramLinkCodes;
  webhookSecret: string;
  maxWebhookBytes: number;
  botUsername(): Promise<string>;
  userExists(username: string): Promise<boolean>;
  /** Authenticates and rate-limits (identity's auth stack). */
  authenticate: MiddlewareHandler;
  logger: Logger;
}
