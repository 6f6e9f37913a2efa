import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { connectorsConfigSchema } from './config';
import type { MockConnector } from './mocks/mock.connector';
import { buildConnectors } from './registry';

const parse = (env: Record<string, string>) => connectorsConfigSchema.parse(env);
const TOKEN = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

describe('connector registry', () => {
  it('enables the three mocks by default, and Telegram only once a token is set', async () => {
    const plain = buildConnectors(parse({}));
    expect(plain.channels().sort()).toEqual(['instagram', 'messenger', 'whatsapp']);
    const withTelegram = buildConnectors(parse({ TELEGRAM_BOT_TOKEN: TOKEN }));
    expect(withTelegram.channels()).toContain('telegram');
    await Promise.all([plain.close(), withTelegram.close()]);
  });

  it('builds exactly the listed connectors, with the configured mock behaviour and shared metrics', async () => {
    const registry = new Registry();
    const connectors = buildConnectors(
      parse({ CONNECTORS_ENABLED: 'whatsapp, messenger', MOCK_CONNECTOR_LATENCY_MS: '0', MOCK_CONNECTOR_PERMANENT_FAILURE_RATE: '1' }),
      { registry },
    );
    expect(connectors.channels()).toEqual(['whatsapp', 'messenger']);
    expect(connectors.get('telegram')).toBeUndefined();
    expect(await connectors.get('whatsapp')!.deliver({ to: '4915112345678', text: 'x' })).toMatchObject({
      outcome: 'permanent',
      reason: 'simulated_permanent',
    });
    expect((connectors.get('whatsapp')!.connector as MockConnector).sent).toHaveLength(0);
    expect(await registry.getSingleMetricAsString('connector_calls_total')).toContain('connector="whatsapp",result="permanent"');
    await connectors.close();
  });

  it('rejects bad settings naming the variable', () => {
    const bad = connectorsConfigSchema.safeParse({
      CONNECTORS_ENABLED: 'telegram,fax',
      TELEGRAM_BOT_TOKEN: 'nope',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:1/',
      MOCK_CONNECTOR_FAILURE_RATE: '2',
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path[0]).sort()).toEqual([
      'CONNECTORS_ENABLED',
      'MOCK_CONNECTOR_FAILURE_RATE',
      'TELEGRAM_API_ROOT',
      'TELEGRAM_BOT_TOKEN',
    ]);
  });

  it('refuses to enable Telegram without a token', () => {
    expect(() => buildConnectors(parse({ CONNECTORS_ENABLED: 'telegram' }))).toThrow(/TELEGRAM_BOT_TOKEN/);
  });
});
