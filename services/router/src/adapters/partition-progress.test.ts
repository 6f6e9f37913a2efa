import { describe, expect, it } from 'vitest';
import { OffsetProgress, PartitionProgress } from './partition-progress';

describe('PartitionProgress', () => {
  it('commits up to the oldest unhandled record when records finish out of order', () => {
    const p = new PartitionProgress();
    for (const o of [10, 11, 12, 13]) p.add(o);
    expect(p.watermark()).toBe(10);
    p.complete(12);
    p.complete(11);
    // 10 is still waiting for its time: nothing after it may be committed.
    expect(p.watermark()).toBe(10);
    p.complete(10);
    expect(p.watermark()).toBe(13);
    p.complete(13);
    expect(p.watermark()).toBe(14);
    expect(p.open).toBe(0);
  });

  it('moves past gaps in the offsets (compacted or transactional topics)', () => {
    const p = new PartitionProgress();
    for (const o of [5, 9, 20]) p.add(o);
    p.complete(5);
    expect(p.watermark()).toBe(9);
    p.complete(20);
    expect(p.watermark()).toBe(9);
    p.complete(9);
    expect(p.watermark()).toBe(21);
  });

  it('stays right across the trimming of its handled prefix', () => {
    const p = new PartitionProgress();
    for (let o = 0; o < 3_000; o++) p.add(o);
    for (let o = 0; o < 2_000; o++) p.complete(o);
    expect(p.watermark()).toBe(2_000);
    expect(p.open).toBe(1_000);
    for (let o = 2_999; o >= 2_000; o--) p.complete(o);
    expect(p.watermark()).toBe(3_000);
  });
});

describe('OffsetProgress', () => {
  it('offers each partition for commit only when its commit point moved', () => {
    const progress = new OffsetProgress();
    const g = progress.read(0, 0);
    progress.read(0, 1);
    progress.read(1, 7);
    expect(progress.toCommit()).toEqual([
      { partition: 0, offset: 0 },
      { partition: 1, offset: 7 },
    ]);
    progress.committed(progress.toCommit());
    expect(progress.toCommit()).toEqual([]);
    progress.handled(0, 1, g);
    expect(progress.toCommit()).toEqual([]);
    progress.handled(0, 0, g);
    expect(progress.toCommit()).toEqual([{ partition: 0, offset: 2 }]);
    progress.handled(1, 7, g);
    progress.committed([{ partition: 0, offset: 2 }]);
    expect(progress.toCommit()).toEqual([{ partition: 1, offset: 8 }]);
  });

  it('a commit the broker refused is offered again', () => {
    const progress = new OffsetProgress();
    const g = progress.read(3, 40);
    progress.handled(3, 40, g);
    expect(progress.toCommit()).toEqual([{ partition: 3, offset: 41 }]);
    // commitOffsets threw: committed() was not called.
    expect(progress.toCommit()).toEqual([{ partition: 3, offset: 41 }]);
  });

  it('after a rebalance, completions of records read before it do not count', () => {
    const progress = new OffsetProgress();
    const before = progress.read(0, 100);
    progress.reset();
    expect(progress.toCommit()).toEqual([]);
    // The partition is read again from the last commit; the old handler finishing now must not move it.
    const after = progress.read(0, 100);
    expect(after).not.toBe(before);
    progress.handled(0, 100, before);
    expect(progress.toCommit()).toEqual([{ partition: 0, offset: 100 }]);
    progress.handled(0, 100, after);
    expect(progress.toCommit()).toEqual([{ partition: 0, offset: 101 }]);
  });
});
