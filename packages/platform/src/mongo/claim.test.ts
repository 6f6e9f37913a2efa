import { describe, expect, it } from 'vitest';
import { claimByInsert } from './claim';

describe('claimByInsert', () => {
  it('is true for the insert that landed', async () => {
    expect(await claimByInsert(async () => ({ acknowledged: true }))).toBe(true);
  });

  it('is false when the unique key was taken (E11000, alone or in every write error)', async () => {
    expect(await claimByInsert(() => Promise.reject(Object.assign(new Error('E11000 duplicate key'), { code: 11000 })))).toBe(false);
    expect(
      await claimByInsert(() => Promise.reject(Object.assign(new Error('bulk'), { writeErrors: [{ code: 11000 }, { code: 11000 }] }))),
    ).toBe(false);
  });

  it('passes any other failure on, including a batch with a non-duplicate error', async () => {
    await expect(claimByInsert(() => Promise.reject(new Error('connection reset')))).rejects.toThrow('connection reset');
    await expect(
      claimByInsert(() => Promise.reject(Object.assign(new Error('bulk'), { writeErrors: [{ code: 11000 }, { code: 121 }] }))),
    ).rejects.toThrow('bulk');
  });
});
