import { describe, expect, it } from 'vitest';
import type { BatchContext, ConsumedRecord } from './event-consumer';
import { coalesceBatches, type PartitionBatch } from './coalesce-batches';

const ctx = (partition: number): BatchContext => ({
  topic: 't',
  partition,
  isRunning: () => true,
  heartbeat: async () => {},
  highWatermark: '0',
});
const rec = (partition: number, offset: number) => ({ topic: 't', partition, offset: String(offset) }) as ConsumedRecord;

describe('coalesceBatches', () => {
  it('hands batches that arrive in the same tick to one call, and each caller its outcome', async () => {
    const calls: PartitionBatch[][] = [];
    const handler = coalesceBatches(async (batches) => {
      calls.push(batches);
    });
    await Promise.all([handler([rec(0, 1)], ctx(0)), handler([rec(1, 7)], ctx(1)), handler([rec(2, 3)], ctx(2))]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((b) => b.ctx.partition)).toEqual([0, 1, 2]);
    await handler([rec(0, 2)], ctx(0));
    expect(calls).toHaveLength(2);
  });

  it('fails every batch of a failed call, so all of them are redelivered', async () => {
    const handler = coalesceBatches(async () => {
      throw new Error('store down');
    });
    const results = await Promise.allSettled([handler([rec(0, 1)], ctx(0)), handler([rec(1, 1)], ctx(1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('splits partitions into write groups, each its own call with its own outcome', async () => {
    const calls: number[][] = [];
    const handler = coalesceBatches(
      async (batches) => {
        calls.push(batches.map((b) => b.ctx.partition));
        if (batches.some((b) => b.ctx.partition === 1)) throw new Error('group 1 failed');
      },
      { groups: 2 },
    );
    const results = await Promise.allSettled([0, 1, 2, 3].map((p) => handler([rec(p, 1)], ctx(p))));
    expect(calls.sort()).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
  });
});
