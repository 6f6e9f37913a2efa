import { z } from 'zod';
import { withRenamedEnv } from './renamed-env';
import { tracingConfigSchema } from './telemetry/tracing-config';

/** Raised at boot when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable and its meaning.`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment against a zod object whose keys are the
 * environment variable names. Every bad or missing key is listed at once,
 * so an operator fixes them in one go rather than one restart per key.
 * Renamed variables are read under their old names too, for the alias
 * period (renamed-env.ts).
 */
export function loadConfig<S extends z.ZodObject>(schema: S, source: Record<string, string | undefined> = process.env): z.infer<S> {
  const env = withRenamedEnv(source);
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    const value = env[key];
    const shown = value === undefined ? 'is missing' : `is invalid (${JSON.stringify(redactIfSecret(key, value))})`;
    return `${key} ${shown}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** Secret-sounding names are redacted, except settings that only size or time something (TOKEN_CACHE_SIZE, ACCESS_TOKEN_TTL_S). */
function redactIfSecret(key: string, value: string): string {
  const secretName = /SECRET|PASSWORD|TOKEN|KEY/i.test(key);
  const measure = /_(SIZE|TTL_S|S|MS|BYTES|COUNT|MAX|LIMIT|PER_MIN)$/i.test(key);
  return secretName && !measure ? '***' : value;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Reusable fields so every service spells shared variables the same way. */
export const env = {
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  host: () => z.string().min(1).default('127.0.0.1'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  bool: (def: boolean) => bool.default(def),
  durationMs: (def: number) => z.coerce.number().int().positive().default(def),
  positiveInt: (def: number) => z.coerce.number().int().positive().default(def),
  kafkaBrokers: () =>
    z
      .string()
      .min(1, 'set it to host:port[,host:port]')
      .transform((s) =>
        s
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
      )
      .refine((list) => list.every((b) => /^[^\s:]+:\d+$/.test(b)), 'each broker must be host:port'),
  mongoUrl: () => z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb://'),
  etcdHosts: () =>
    z
      .string()
      .min(1)
      .transform((s) =>
        s
          .split(',')
          .map((h) => h.trim())
          .filter(Boolean),
      )
      .refine((list) => list.every((h) => /^https?:\/\/[^\s]+$/.test(h)), 'each host must be an http(s) URL'),
  redisUrl: () => z.string().regex(/^rediss?:\/\//, 'must start with redis:// (or rediss:// for TLS)'),
  url: () => z.url(),
};

/** Variables every service reads. */
export const baseConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: env.logLevel(),
    SHUTDOWN_TIMEOUT_MS: env.durationMs(15_000),
  })
  .extend(tracingConfigSchema.shape);
