import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ExpiringStore } from '@hub/platform';

const NONCE_BYTES = 12;
const SIG_BYTES = 9;
/** 16 + 12 base64url characters: within Telegram's 64-character /start parameter and its alphabet. */
const CODE = /^[A-Za-z0-9_-]{28}$/;

/**
 * Link codes for Telegram deep links (`https://t.me/<bot>?start=<code>`):
 * a random nonce signed with HMAC-SHA256, so forged or mistyped codes are
 * refused without a store lookup; the nonce maps to the user in an
 * expiring store, which makes codes expire, and using one deletes it.
 */
export class TelegramLinkCodes {
  constructor(
    private readonly store: ExpiringStore,
    private readonly secret: string,
    private readonly ttlMs: number,
  ) {}

  async issue(username: string): Promise<{ code: string; expiresAt: Date }> {
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    const expiresAt = new Date(Date.now() + this.ttlMs);
    await this.store.set(this.key(nonce), username, this.ttlMs);
    return { code: `${nonce}${this.sign(nonce)}`, expiresAt };
  }

  /** The user a valid, unexpired code belongs to; undefined otherwise. Does not use the code up. */
  async peek(code: string): Promise<string | undefined> {
    const nonce = this.verified(code);
    return nonce ? this.store.get(this.key(nonce)) : undefined;
  }

  /** Uses the code up (after the link it stood for was stored). */
  async consume(code: string): Promise<void> {
    const nonce = this.verified(code);
    if (nonce) await this.store.delete(this.key(nonce));
  }

  private verified(code: string): string | undefined {
    if (!CODE.test(code)) return undefined;
    const nonce = code.slice(0, 16);
    const given = Buffer.from(code.slice(16));
    const expected = Buffer.from(this.sign(nonce));
    return given.length === expected.length && timingSafeEqual(given, expected) ? nonce : undefined;
  }

  private sign(nonce: string): string {
    return createHmac('sha256', this.secret).update(`telegram-link:${nonce}`).digest().subarray(0, SIG_BYTES).toString('base64url');
  }

  private key(nonce: string): string {
    return `telegram-link:${nonce}`;
  }
}
