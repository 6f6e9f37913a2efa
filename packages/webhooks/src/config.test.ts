import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@hub/platform';
import { z } from 'zod';
import { allowHttpWebhooks, webhookDispatchConfigSchema, webhookPolicyConfigSchema } from './config';

describe('webhook config', () => {
  it('allows http URLs in development and tests, never in production', () => {
    expect(allowHttpWebhooks({ NODE_ENV: 'development' })).toBe(true);
    expect(allowHttpWebhooks({ NODE_ENV: 'test', WEBHOOK_ALLOW_HTTP: false })).toBe(false);
    expect(allowHttpWebhooks({ NODE_ENV: 'production' })).toBe(false);
    expect(allowHttpWebhooks({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: false })).toBe(false);
    expect(() => allowHttpWebhooks({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: true })).toThrow(ConfigError);
  });

  it('parses the allowlist and the retry schedule, naming bad values', () => {
    const schema = z.object({ ...webhookPolicyConfigSchema.shape, ...webhookDispatchConfigSchema.shape });
    const ok = loadConfig(schema, { WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32,::1/128', WEBHOOK_RETRY_SCHEDULE_MS: '50,100' });
    expect(ok.WEBHOOK_ALLOWED_CIDRS).toEqual(['127.0.0.1/32', '::1/128']);
    expect(ok.WEBHOOK_RETRY_SCHEDULE_MS).toEqual([50, 100]);
    expect(ok.WEBHOOK_TIMEOUT_MS).toBe(10_000);
    expect(loadConfig(schema, {}).WEBHOOK_RETRY_SCHEDULE_MS).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    expect(() => loadConfig(schema, { WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/8:http' })).toThrow(
      /WEBHOOK_ALLOWED_CIDRS is invalid .*entry "127.0.0.1\/8:http": port "http" is not a number/,
    );
    expect(() => loadConfig(schema, { WEBHOOK_RETRY_SCHEDULE_MS: '5s' })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS is invalid/);
    expect(() => loadConfig(schema, { WEBHOOK_ALLOW_HTTP: 'maybe' })).toThrow(/WEBHOOK_ALLOW_HTTP is invalid/);
  });
});
