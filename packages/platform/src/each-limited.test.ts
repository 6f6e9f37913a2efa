import { describe, expect, it } from 'vitest';
import { eachLimited } from './each-limited';

const tick = () => new Promise<void>((r) => setTimeout(r, 1));

describe('eachLimited', () => {
  it('visits every item once, in order of start, never more than the limit at a time', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      started.push(n);
      running += 1;
      peak = Math.max(peak, running);
      await tick();
      running -= 1;
    });
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('does nothing for no items and treats a limit below one as one', async () => {
    const seen: number[] = [];
    await eachLimited([], 4, async (n: number) => void seen.push(n));
    await eachLimited([1, 2], 0, async (n) => void seen.push(n));
    expect(seen).toEqual([1, 2]);
  });

  it('rejects with the error of a failing call', async () => {
    await expect(
      eachLimited([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
