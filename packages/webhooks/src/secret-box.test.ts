import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@hub/platform';
import { webhookSecretCodec } from './config';
import type { WebhookRecord } from './registration';
import { SecretBox, SecretBoxError, WebhookSecretCodec } from './secret-box';

const key = () => randomBytes(32).toString('base64');
const record = (over: Partial<WebhookRecord> = {}): WebhookRecord => ({
  webhook_id: 'w-1',
  owner: 'client-a',
  url: 'https://example.test/hook',
  events: ['*'],
  active: true,
  created_at: '2026-12-03T00:00:00.000Z',
  updated_at: '2026-12-03T00:00:00.000Z',
  secret: 'whsec_current',
  ...over,
});

describe('SecretBox', () => {
  it('seals to a value that shows nothing of the secret and opens back to it', () => {
    const box = SecretBox.fromBase64(key());
    const sealed = box.seal('whsec_abc', 'webhook:a/1');
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(sealed).not.toContain('whsec_abc');
    expect(box.seal('whsec_abc', 'webhook:a/1')).not.toBe(sealed); // fresh IV each time
    expect(box.open(sealed, 'webhook:a/1')).toBe('whsec_abc');
  });

  it('refuses another key, another registration and an altered value, saying why', () => {
    const box = SecretBox.fromBase64(key());
    const sealed = box.seal('whsec_abc', 'webhook:a/1');
    expect(() => SecretBox.fromBase64(key()).open(sealed, 'webhook:a/1')).toThrow(SecretBoxError);
    expect(() => box.open(sealed, 'webhook:a/2')).toThrow(/webhook:a\/2 does not open with WEBHOOK_SECRETS_KEY/);
    const altered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(altered, 'webhook:a/1')).toThrow(SecretBoxError);
  });

  it('takes only a 32-byte key', () => {
    expect(() => SecretBox.fromBase64(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
  });
});

describe('WebhookSecretCodec', () => {
  it('seals current and previous secrets for storage and opens them for use; everything else is unchanged', () => {
    const codec = new WebhookSecretCodec(SecretBox.fromBase64(key()));
    const plain = record({ previous_secret: 'whsec_old', previous_secret_expires_at: '2026-12-04T00:00:00.000Z' });
    const stored = codec.seal(plain);
    expect(JSON.stringify(stored)).not.toContain('whsec_');
    expect({ ...stored, secret: plain.secret, previous_secret: plain.previous_secret }).toEqual(plain);
    expect(codec.open(stored)).toEqual(plain);
    expect(codec.seal(stored)).toEqual(stored); // sealing twice changes nothing
  });

  it('reads a record stored before a key was set, and refuses a sealed one without the key', () => {
    const sealing = new WebhookSecretCodec(SecretBox.fromBase64(key()));
    expect(sealing.open(record())).toEqual(record());
    expect(() => new WebhookSecretCodec().open(sealing.seal(record()))).toThrow(/WEBHOOK_SECRETS_KEY is not set/);
  });

  it('a sealed secret copied onto another registration does not open there', () => {
    const codec = new WebhookSecretCodec(SecretBox.fromBase64(key()));
    const stolen = codec.seal(record()).secret;
    expect(() => codec.open(record({ webhook_id: 'w-2', secret: stolen }))).toThrow(SecretBoxError);
  });
});

describe('webhookSecretCodec (config)', () => {
  it('encrypts with a key, stores as is without one in development, and refuses to start without one in production', () => {
    expect(webhookSecretCodec({ NODE_ENV: 'production', WEBHOOK_SECRETS_KEY: key() }).encrypting).toBe(true);
    expect(webhookSecretCodec({ NODE_ENV: 'development' }).encrypting).toBe(false);
    expect(() => webhookSecretCodec({ NODE_ENV: 'production' })).toThrow(ConfigError);
  });
});
