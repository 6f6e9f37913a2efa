import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Standard Webhooks headers for one attempt. The signature is
 * HMAC-SHA256 over `${id}.${timestamp}.${body}`, one `v1,<base64>` entry
 * per secret, space-separated: during a secret rotation's grace period the
 * body is signed with the new and the previous secret, so receivers that
 * still hold the old one keep verifying.
 */
export function signPayload(eventId: string, at: Date, body: string, secrets: readonly string[]): SignedHeaders {
  if (secrets.length === 0) throw new Error('no signing secret');
  const signature = secrets.map((s) => new Webhook(s).sign(eventId, at, body)).join(' ');
  return { 'webhook-id': eventId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
}
