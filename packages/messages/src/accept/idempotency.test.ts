import { describe, expect, it } from 'vitest';
import { ProblemError } from '@hub/platform';
import { messageIdFromIdempotencyKey } from './idempotency';

describe('messageIdFromIdempotencyKey', () => {
  it('uses a UUID key as the message id', () => {
    expect(messageIdFromIdempotencyKey('0190F5C4-0000-7000-8000-000000000001', 'user:alice')).toBe('0190f5c4-0000-7000-8000-000000000001');
  });
  it('derives a stable id per caller from any other key', () => {
    const a = messageIdFromIdempotencyKey('order-42', 'client:crm');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
    expect(messageIdFromIdempotencyKey('order-42', 'client:crm')).toBe(a);
    expect(messageIdFromIdempotencyKey('order-42', 'client:other')).not.toBe(a);
  });
  it('refuses empty, long or non-ASCII keys naming the header', () => {
    for (const bad of ['', 'x'.repeat(256), 'ключ', 'a b']) {
      expect(() => messageIdFromIdempotencyKey(bad, 'user:a')).toThrow(ProblemError);
    }
    try {
      messageIdFromIdempotencyKey('a b', 'user:a');
    } catch (err) {
      expect((err as ProblemError).options.errors?.[0]?.field).toBe('header.Idempotency-Key');
    }
  });
});
