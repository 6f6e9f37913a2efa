import { describe, expect, it } from 'vitest';
import { InMemoryMessageIdClaims } from './message-id-claims';

describe('message id claims', () => {
  it('the first caller claims an id; their retry is a repeat, their other request a mismatch, anyone else finds it taken', async () => {
    const claims = new InMemoryMessageIdClaims();
    expect(await claims.claim('m1', { caller: 'user:alice', fingerprint: 'f1' })).toBe('claimed');
    expect(await claims.claim('m1', { caller: 'user:alice', fingerprint: 'f1' })).toBe('repeat');
    expect(await claims.claim('m1', { caller: 'user:alice', fingerprint: 'f2' })).toBe('mismatch');
    expect(await claims.claim('m1', { caller: 'user:bob', fingerprint: 'f1' })).toBe('taken');
    expect(await claims.claim('m2', { caller: 'user:bob', fingerprint: 'f1' })).toBe('claimed');
  });
});
