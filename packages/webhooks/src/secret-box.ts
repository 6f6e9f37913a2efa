import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { WebhookRecord } from './registration';

const SEALED = 'sealed:v1:';

/** Raised when a stored secret cannot be opened: another key sealed it, or it was altered. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Encryption at rest for webhook signing secrets (AES-256-GCM). A signing
 * secret must be recoverable to sign with, so unlike API client secrets it
 * cannot be hashed; sealed, a copy of etcd (a backup, a snapshot, a reader
 * of the keyspace) no longer lets anyone forge the hub's webhooks.
 *
 * Each value is bound to the registration it belongs to (additional
 * authenticated data), so a sealed secret copied onto another registration
 * does not open.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** From WEBHOOK_SECRETS_KEY: 32 bytes, base64 or base64url. */
  static fromBase64(key: string): SecretBox {
    const bytes = Buffer.from(key, 'base64');
    if (bytes.length !== 32)
      throw new SecretBoxError(`the key must be 32 bytes in base64 (got ${bytes.length}); generate one with: openssl rand -base64 32`);
    return new SecretBox(bytes);
  }

  static isSealed(value: string): boolean {
    return value.startsWith(SEALED);
  }

  seal(plain: string, boundTo: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return SEALED + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  open(sealed: string, boundTo: string): string {
    if (!SecretBox.isSealed(sealed)) throw new SecretBoxError('not a sealed secret');
    const raw = Buffer.from(sealed.slice(SEALED.length), 'base64url');
    if (raw.length < 12 + 16) throw new SecretBoxError(`the signing secret of ${boundTo} is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        `the signing secret of ${boundTo} does not open with WEBHOOK_SECRETS_KEY: it was sealed with another key, or altered`,
      );
    }
  }
}

/**
 * How registrations' secrets are stored: sealed with a SecretBox when one is
 * configured, as they are otherwise. Reading accepts both, so registrations
 * written before a key was set keep working and are sealed at their next
 * write (an update, a rotation).
 */
export class WebhookSecretCodec {
  constructor(private readonly box?: SecretBox) {}

  get encrypting(): boolean {
    return this.box !== undefined;
  }

  /** The record as it is to be stored. */
  seal(r: WebhookRecord): WebhookRecord {
    const box = this.box;
    if (!box) return r;
    return mapSecrets(r, (s, at) => (SecretBox.isSealed(s) ? s : box.seal(s, at)));
  }

  /** The record with its secrets readable; throws SecretBoxError when a sealed one does not open. */
  open(r: WebhookRecord): WebhookRecord {
    const sealed = SecretBox.isSealed(r.secret) || (r.previous_secret !== undefined && SecretBox.isSealed(r.previous_secret));
    if (!sealed) return r;
    const box = this.box;
    if (!box) throw new SecretBoxError(`the signing secret of ${bindingOf(r)} is sealed, and WEBHOOK_SECRETS_KEY is not set`);
    return mapSecrets(r, (s, at) => (SecretBox.isSealed(s) ? box.open(s, at) : s));
  }
}

/** The record with `f` applied to its current and (if any) previous secret. */
function mapSecrets(r: WebhookRecord, f: (secret: string, boundTo: string) => string): WebhookRecord {
  const at = bindingOf(r);
  return { ...r, secret: f(r.secret, at), ...(r.previous_secret !== undefined ? { previous_secret: f(r.previous_secret, at) } : {}) };
}

function bindingOf(r: WebhookRecord): string {
  return `webhook:${r.owner}/${r.webhook_id}`;
}
