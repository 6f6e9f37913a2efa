import { z } from 'zod';
import { ConfigError, env } from '@hub/platform';
import { parseCidrList } from './ssrf/address-policy';
import { parseRetrySchedule } from './retry-schedule';
import { SecretBox, WebhookSecretCodec } from './secret-box';

const cidrList = z
  .string()
  .default('')
  .transform((s, ctx) => {
    try {
      return parseCidrList(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `entry ${(err as Error).message}` });
      return z.NEVER;
    }
  });

/**
 * Where webhooks may be sent. Read by the frontend (checks at registration)
 * and the router (checks before every attempt), so both apply one policy.
 */
export const webhookPolicyConfigSchema = z.object({
  /** Accept http:// webhook URLs. Unset: allowed unless NODE_ENV=production; production is always https-only. */
  WEBHOOK_ALLOW_HTTP: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .optional(),
  /**
   * Internal addresses (and optionally ports) exempt from the internal-address
   * block, comma-separated: ADDRESS[/BITS][:PORT[-PORT]] or [IPv6[/BITS]][:PORT[-PORT]],
   * e.g. 127.0.0.1:8088 for a receiver on this machine in development; no
   * port means any port. Cloud metadata addresses and the hub's own ports
   * (see ReservedPorts) stay blocked.
   */
  WEBHOOK_ALLOWED_CIDRS: cidrList,
  // The hub's own listeners, which webhooks never reach on an internal address.
  // A service that listens on one of them declares it in its own schema too
  // (same rule; its schema is merged last); these make the others known here.
  GATEWAY_PORT: env.port(8080),
  FRONTEND_PORT: env.port(8081),
  ROUTER_PORT: env.port(8082),
  PRESENCE_PORT: env.port(8083),
  FILES_PORT: env.port(8084),
  /** The object store's endpoint (the router and files service need it; here so its port is known). */
  S3_ENDPOINT: z.url().optional(),
  /**
   * 32 bytes (base64) that seal webhook signing secrets in etcd (AES-256-GCM).
   * The same value in frontend and router. Unset: secrets are stored as they
   * are (allowed unless NODE_ENV=production).
   */
  WEBHOOK_SECRETS_KEY: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (!v) return;
      try {
        SecretBox.fromBase64(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
});

/** How registrations' secrets are stored: sealed with WEBHOOK_SECRETS_KEY; production refuses to start without one. */
export function webhookSecretCodec(config: { NODE_ENV: string; WEBHOOK_SECRETS_KEY?: string | undefined }): WebhookSecretCodec {
  if (config.WEBHOOK_SECRETS_KEY) return new WebhookSecretCodec(SecretBox.fromBase64(config.WEBHOOK_SECRETS_KEY));
  if (config.NODE_ENV === 'production')
    throw new ConfigError([
      'WEBHOOK_SECRETS_KEY is required when NODE_ENV=production: webhook signing secrets are not stored unencrypted there (generate one with: openssl rand -base64 32)',
    ]);
  return new WebhookSecretCodec();
}

/** Effective http rule: allowed in development and tests unless turned off; production is https-only (asking for http there is a config error). */
export function allowHttpWebhooks(config: { NODE_ENV: string; WEBHOOK_ALLOW_HTTP?: boolean | undefined }): boolean {
  if (config.NODE_ENV === 'production') {
    if (config.WEBHOOK_ALLOW_HTTP)
      throw new ConfigError(['WEBHOOK_ALLOW_HTTP is invalid ("true"): http webhook URLs cannot be allowed when NODE_ENV=production']);
    return false;
  }
  return config.WEBHOOK_ALLOW_HTTP ?? true;
}

const schedule = z
  .string()
  .default('5000,300000,1800000,7200000,18000000,36000000,36000000')
  .transform((s, ctx) => {
    try {
      return parseRetrySchedule(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; expected comma-separated milliseconds like 5000,300000` });
      return z.NEVER;
    }
  });

/** Settings of the router's notify worker (the dispatcher). */
export const webhookDispatchConfigSchema = z.object({
  /** Deadline of one webhook call (connect, send, response headers). */
  WEBHOOK_TIMEOUT_MS: env.durationMs(10_000),
  /** Waits between attempts, ms, after the 1st, 2nd, … failure; attempts = entries + 1. Default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
  WEBHOOK_RETRY_SCHEDULE_MS: schedule,
  /** Random spread of each wait, as a fraction (0.2 = ±20 %). */
  WEBHOOK_RETRY_JITTER: z.coerce.number().min(0).max(1).default(0.2),
  /** An endpoint whose attempts failed continuously for this long (no success in between) is disabled. Default 5 days. */
  WEBHOOK_DISABLE_AFTER_MS: env.durationMs(5 * 24 * 3_600_000),
  /** Response body bytes read and logged per attempt. */
  WEBHOOK_RESPONSE_MAX_BYTES: z.coerce.number().int().min(0).max(65_536).default(4_096),
  /** Webhook calls in flight at once in one router process. */
  WEBHOOK_MAX_IN_FLIGHT: env.positiveInt(64),
  /** Calls in flight at once to one endpoint: a slow endpoint holds at most this many slots. */
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: env.positiveInt(4),
  /** Pending deliveries one router process holds in memory (sent from there on time); more wait in MongoDB for the recovery scan. */
  WEBHOOK_MAX_HELD: env.positiveInt(50_000),
  /** How often the API's test events and re-sends are picked up. */
  WEBHOOK_POLL_INTERVAL_MS: env.durationMs(500),
  /** How often deliveries nobody holds (a crashed router's, or over WEBHOOK_MAX_HELD) are looked for, and held ones' leases renewed. */
  WEBHOOK_RECOVERY_INTERVAL_MS: env.durationMs(30_000),
  /**
   * How long a message.delivered or message.read event waits for the earlier
   * statuses of its recipient × channel (sent or pending; delivered) when they
   * have not reached hub.status.v1 yet (they come from other producers), before
   * it is sent anyway. 0 turns the wait off.
   */
  WEBHOOK_REORDER_WINDOW_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** Finished deliveries (and their attempt log) are deleted after this many days. */
  WEBHOOK_DELIVERY_RETENTION_DAYS: env.positiveInt(30),
});

/** Settings of the registration API (frontend). */
export const webhookApiConfigSchema = z.object({
  /** How long the previous secret keeps signing after POST /v1/webhooks/{id}/rotate-secret, unless the request names its own grace period (seconds). */
  WEBHOOK_SECRET_GRACE_S: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(86_400),
  /** Webhooks one API client may register. */
  WEBHOOK_MAX_PER_CLIENT: env.positiveInt(20),
});
