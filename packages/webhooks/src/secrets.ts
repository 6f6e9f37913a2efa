import { randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/**
 * A signing secret in the Standard Webhooks format: `whsec_` and 32 random
 * bytes in base64. Receivers base64-decode the part after the prefix and
 * use the bytes as the HMAC-SHA256 key.
 */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}
