import { connectorsConfigSchema } from '@hub/connectors';
import { z } from 'zod';

/** Settings of the Telegram bridge, merged into the frontend's config. The bridge is off unless TELEGRAM_BOT_TOKEN is set. */
export const telegramBridgeConfigSchema = connectorsConfigSchema
  .pick({
    TELEGRAM_BOT_TOKEN: true,
    TELEGRAM_API_ROOT: true,
    CONNECTOR_TIMEOUT_MS: true,
    TELEGRAM_RATE_PER_S: true,
    TELEGRAM_RATE_PER_CHAT_PER_S: true,
  })
  .extend({
    /**
     * Secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token on every
     * webhook call (set with setWebhook); required with TELEGRAM_BOT_TOKEN.
     * 1–256 of A–Z a–z 0–9 _ -.
     */
    TELEGRAM_WEBHOOK_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16–256 characters of A–Z a–z 0–9 _ -')
      .optional(),
    /** Public URL of POST /v1/connectors/telegram/webhook; when set, the frontend registers it with Telegram (setWebhook) at start. */
    TELEGRAM_WEBHOOK_URL: z.url().optional(),
    /** The bot's @username for t.me deep links; asked from Telegram (getMe) when unset. */
    TELEGRAM_BOT_USERNAME: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, 'a Telegram bot username without "@"')
      .optional(),
    /** How long a link code from POST /v1/users/{username}/channels/telegram/link stays valid (seconds). */
    TELEGRAM_LINK_CODE_TTL_S: z.coerce.number().int().min(60).max(86_400).default(900),
    /**
     * A hub user that Telegram users without any conversation write to: their
     * first message opens a direct conversation with this user (a support or
     * bot account). Unset: they are told to wait until someone writes to them.
     */
    TELEGRAM_BRIDGE_PEER: z.string().min(3).max(32).optional(),
    /** Base URL of the files service API; with it, documents sent in Telegram become file messages (without it they are refused with a reply). */
    FILES_API_URL: z.url().optional(),
    /** Largest webhook body read (bytes); Telegram updates are far smaller. */
    TELEGRAM_WEBHOOK_MAX_BYTES: z.coerce.number().int().min(1_024).default(262_144),
  });

export type TelegramBridgeConfig = z.infer<typeof telegramBridgeConfigSchema>;
