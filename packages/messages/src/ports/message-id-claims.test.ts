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

  it("a claim held from the store refuses other callers outright and leaves its owner's sends to the store check", async () => {
    const claims = new InMemoryMessageIdClaims();
    expect(await claims.claim('m1', { caller: 'user:mallory', fingerprint: 'f9' })).toBe('claimed');
    await claims.hold('m1', 'user:alice');
    expect(await claims.claim('m1', { caller: 'user:mallory', fingerprint: 'f9' })).toBe('taken_stored');
    expect(await claims.claim('m1', { caller: 'user:alice', fingerprint: 'f1' })).toBe('repeat');
    expect(await claims.claim('m1', { caller: 'user:alice', fingerprint: 'f2' })).toBe('repeat');
  });
});
