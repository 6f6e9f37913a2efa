import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 bits of randomness, URL-safe, with a prefix saying what it is (helps secret scanners and humans). */
export function newSecret(prefix: 'cs' | 'rt'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** Digest for high-entropy secrets (client secrets, refresh tokens): equal inputs give equal keys, nothing reversible is stored. */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretMatches(secret: string, expectedHashHex: string): boolean {
  const actual = Buffer.from(sha256Hex(secret), 'hex');
  const expected = Buffer.from(expectedHashHex, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
