import { describe, expect, it } from 'vitest';
import { CoalescingWriter } from './coalescing-writer';

describe('CoalescingWriter', () => {
  it('writes a lone item at once and batches the ones that arrive while a batch is in flight', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const writer = new CoalescingWriter<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
    });
    const first = writer.write(1);
    const rest = [2, 3, 4].map((n) => writer.write(n));
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects the callers of a failed batch only', async () => {
    let calls = 0;
    const writer = new CoalescingWriter<string>(async (items) => {
      calls++;
      if (items.includes('bad')) throw new Error('store down');
    });
    await expect(writer.write('bad')).rejects.toThrow('store down');
    await expect(writer.write('good')).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it('caps the batch size', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const writer = new CoalescingWriter<number>(async (items) => {
      sizes.push(items.length);
      if (sizes.length === 1) await gate;
    }, 2);
    const all = [1, 2, 3, 4, 5, 6].map((n) => writer.write(n));
    release();
    await Promise.all(all);
    expect(sizes).toEqual([1, 2, 2, 1]);
  });
});
