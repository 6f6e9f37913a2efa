import { z } from 'zod';
import { CHANNELS, type ExternalChannel } from '@hub/domain';

const EXTERNAL = CHANNELS.filter((c): c is ExternalChannel => c !== 'internal');
const MOCKS: ExternalChannel[] = ['whatsapp', 'instagram', 'messenger'];

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const rate = (def: number) => z.coerce.number().min(0).max(1).default(def);

/**
 * Connector settings, merged into the config schema of each service that
 * sends or receives on external channels (router, frontend). Keys are
 * environment variable names.
 */
export const connectorsConfigSchema = z.object({
  /**
   * External channels to serve, comma-separated (telegram, whatsapp,
   * instagram, messenger). Default: the three mocks, plus telegram when
   * TELEGRAM_BOT_TOKEN is set.
   */
  CONNECTORS_ENABLED: z
    .string()
    .optional()
    .transform((s) =>
      s === undefined
        ? undefined
        : s
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean),
    )
    .refine(
      (list) => list === undefined || list.every((c) => (EXTERNAL as string[]).includes(c)),
      `each must be one of ${EXTERNAL.join(', ')}`,
    ),
  /** Deadline of one provider call; past it the call is abandoned and retried later. */
  CONNECTOR_TIMEOUT_MS: int(5_000, 1),
  /** Failure share (percent) in the rolling window that opens a connector's circuit breaker. */
  CONNECTOR_BREAKER_ERROR_PERCENT: int(50, 1),
  /** Calls needed in the window before the breaker may open. */
  CONNECTOR_BREAKER_VOLUME_THRESHOLD: int(5, 1),
  /** Rolling window of the breaker's failure count. */
  CONNECTOR_BREAKER_WINDOW_MS: int(10_000, 10),
  /** How long an open breaker fails fast before letting one probe call through. */
  CONNECTOR_BREAKER_RESET_MS: int(5_000, 1),
  /** A call the rate limit delays by at most this long waits inline; longer delays are retried later instead. */
  CONNECTOR_RATE_MAX_WAIT_MS: int(200),
  /** Bot token from @BotFather. Secret: never logged. */
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'must look like 123456:ABC… (the token @BotFather gave you)')
    .optional(),
  /** Bot API root: the public API, or a self-hosted Bot API server (and the fake one in tests). No trailing slash. */
  TELEGRAM_API_ROOT: z
    .url()
    .refine((u) => !u.endsWith('/'), 'remove the trailing "/"')
    .default('https://api.telegram.org'),
  /** Telegram's broadcast limit: messages per second over all chats. */
  TELEGRAM_RATE_PER_S: int(30, 1),
  /** Messages per second into one chat (Telegram asks for about one). */
  TELEGRAM_RATE_PER_CHAT_PER_S: int(1, 1),
  /** Largest document Telegram fetches from a URL itself (20 MB on the public Bot API). */
  TELEGRAM_MAX_URL_BYTES: int(20 * 1024 * 1024, 1),
  /** Largest document the bot uploads (50 MB public Bot API; 2000 MB on a self-hosted server); above it a download link is sent. */
  TELEGRAM_MAX_UPLOAD_BYTES: int(50 * 1024 * 1024, 1),
  /** Simulated latency of the mock connectors, "min-max" in ms. */
  MOCK_CONNECTOR_LATENCY_MS: z
    .string()
    .regex(/^\d+(-\d+)?$/, 'must be "N" or "MIN-MAX" (ms)')
    .default('5-20')
    .transform((s) => {
      const [min, max] = s.split('-').map(Number) as [number, number | undefined];
      return { min, max: max ?? min };
    })
    .refine((r) => r.min <= r.max, 'min must not exceed max'),
  /** Share (0..1) of mock sends that fail transiently. */
  MOCK_CONNECTOR_FAILURE_RATE: rate(0),
  /** Share (0..1) of mock sends that fail permanently. */
  MOCK_CONNECTOR_PERMANENT_FAILURE_RATE: rate(0),
  /** Seed of the mocks' random draws (same seed, same failures). */
  MOCK_CONNECTOR_SEED: int(1),
  /** Messages per second each mock accepts (0: unlimited). */
  MOCK_CONNECTOR_RATE_PER_S: int(0),
});

export type ConnectorsConfig = z.infer<typeof connectorsConfigSchema>;

/** The channels this process serves, after applying the default rule. */
export function enabledChannels(config: ConnectorsConfig): ExternalChannel[] {
  const list = (config.CONNECTORS_ENABLED as ExternalChannel[] | undefined) ?? [
    ...MOCKS,
    ...(config.TELEGRAM_BOT_TOKEN ? (['telegram'] as const) : []),
  ];
  return [...new Set(list)];
}
