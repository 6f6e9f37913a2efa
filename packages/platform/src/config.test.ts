import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';

const schema = z.object({ KAFKA_BROKERS: env.kafkaBrokers(), PORT: env.port(8080), API_SECRET: z.string().min(8), DEBUG: env.bool(false) });

describe('loadConfig', () => {
  it('applies defaults and parses values', () => {
    const c = loadConfig(schema, { KAFKA_BROKERS: 'a:1,b:2', API_SECRET: '12345678' });
    expect(c).toEqual({ KAFKA_BROKERS: ['a:1', 'b:2'], PORT: 8080, API_SECRET: '12345678', DEBUG: false });
  });
  it('lists every bad or missing variable at once, never echoing secrets', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { KAFKA_BROKERS: 'nope', PORT: '99999', API_SECRET: 'short', DEBUG: 'maybe' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const msg = (caught as Error).message;
    expect(msg).toContain('KAFKA_BROKERS is invalid ("nope")');
    expect(msg).toContain('PORT is invalid');
    expect(msg).toContain('DEBUG is invalid');
    expect(msg).toContain('API_SECRET is invalid ("***")');
    expect(msg).not.toContain('short');
    expect((caught as ConfigError).problems).toHaveLength(4);
  });
  it('shows the value of a secret-sounding setting that only sizes or times something', () => {
    const s = z.object({
      TOKEN_CACHE_SIZE: env.positiveInt(10),
      ACCESS_TOKEN_TTL_S: env.positiveInt(60),
      TELEGRAM_BOT_TOKEN: z.string().min(10),
    });
    const msg = (() => {
      try {
        loadConfig(s, { TOKEN_CACHE_SIZE: 'lots', ACCESS_TOKEN_TTL_S: '-1', TELEGRAM_BOT_TOKEN: 'abc' });
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(msg).toContain('TOKEN_CACHE_SIZE is invalid ("lots")');
    expect(msg).toContain('ACCESS_TOKEN_TTL_S is invalid ("-1")');
    expect(msg).toContain('TELEGRAM_BOT_TOKEN is invalid ("***")');
  });
  it('names a missing variable as missing', () => {
    expect(() => loadConfig(schema, { API_SECRET: '12345678' })).toThrow(/KAFKA_BROKERS is missing/);
  });
});
