import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret } from './secrets';
import { signPayload } from './signing';

// The receiver's side, written from the Standard Webhooks spec rather than
// with the library the sender uses.
function expectedSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

describe('signPayload', () => {
  it('signs id, timestamp and body with HMAC-SHA256 of the decoded secret', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const body = JSON.stringify({ type: 'message.sent', data: { text: 'héllo' } });
    const h = signPayload('msg_1', at, body, [secret]);
    expect(h['webhook-id']).toBe('msg_1');
    expect(h['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(h['webhook-signature']).toBe(expectedSignature(secret, 'msg_1', h['webhook-timestamp'], body));
  });

  it('signs with every given secret, space-separated, during a rotation', () => {
    const [next, previous] = [newWebhookSecret(), newWebhookSecret()];
    const h = signPayload('msg_2', new Date(), '{}', [next, previous]);
    const parts = h['webhook-signature'].split(' ');
    expect(parts).toEqual([
      expectedSignature(next, 'msg_2', h['webhook-timestamp'], '{}'),
      expectedSignature(previous, 'msg_2', h['webhook-timestamp'], '{}'),
    ]);
  });

  it('refuses to sign without a secret', () => {
    expect(() => signPayload('msg_3', new Date(), '{}', [])).toThrow(/no signing secret/);
  });
});
