import { describe, expect, it } from 'vitest';
import { PasswordHasher } from './passwords';

describe('password hashing', () => {
  const hasher = new PasswordHasher({ memoryKib: 1024, timeCost: 1 });
  it('stores argon2id hashes that verify only the right password', async () => {
    const h = await hasher.hash('correct horse');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(h).not.toContain('correct horse');
    expect(await hasher.verify(h, 'correct horse')).toBe(true);
    expect(await hasher.verify(h, 'wrong horse')).toBe(false);
  });
  it('salts every hash', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });
  it('answers false, not an error, for unknown users and corrupt hashes', async () => {
    expect(await hasher.verify(undefined, 'x')).toBe(false);
    expect(await hasher.verify('not-a-hash', 'x')).toBe(false);
  });
  it('verifies hashes made with other parameters (cost can be raised later)', async () => {
    const old = await new PasswordHasher({ memoryKib: 512, timeCost: 1 }).hash('pw-123456');
    expect(await hasher.verify(old, 'pw-123456')).toBe(true);
  });
});
