import type { BatchContext, BatchHandler, ConsumedRecord } from './event-consumer';

/** One partition's batch within a coalesced call. */
export interface PartitionBatch {
  records: ConsumedRecord[];
  ctx: BatchContext;
}

/** Handles the batches of several partitions together (each partition's records in order). */
export type MultiBatchHandler = (batches: PartitionBatch[]) => Promise<void>;

/**
 * Turns a handler of several partitions' batches into a per-partition
 * BatchHandler. KafkaJS hands the batches of one fetch to its workers in
 * the same tick and fetches again only when all of them are done, so a
 * handler that writes to a store once per batch pays one round trip per
 * partition per fetch, one after another when the store serialises
 * writes. Coalesced, a fetch costs one round of writes whatever the
 * partition count: batches arriving before the next macrotask go out
 * together, and each caller gets that call's outcome (a failure fails, and
 * so redelivers, every batch in it). A partition's next batch only comes
 * after its previous one resolved, so per-partition order holds. With
 * `groups` > 1 the partitions are split into that many write groups (partition
 * modulo groups), each its own call with its own outcome. Needs
 * partitionsConsumedConcurrently ≥ the partitions a consumer owns to
 * coalesce a whole fetch.
 */
export function coalesceBatches(handler: MultiBatchHandler, opts: { groups?: number } = {}): BatchHandler {
  const groups = Math.max(1, opts.groups ?? 1);
  let pending: Array<PartitionBatch & { resolve: () => void; reject: (err: unknown) => void }> = [];
  const flush = () => {
    const all = pending;
    pending = [];
    // Write groups (by partition) run side by side: a store that converts documents
    // on several cores but commits one writer at a time does both at once.
    const byGroup = new Map<number, typeof all>();
    for (const b of all) {
      const g = b.ctx.partition % groups;
      const list = byGroup.get(g);
      if (list) list.push(b);
      else byGroup.set(g, [b]);
    }
    for (const group of byGroup.values()) {
      handler(group.map(({ records, ctx }) => ({ records, ctx }))).then(
        () => group.forEach((g) => g.resolve()),
        (err: unknown) => group.forEach((g) => g.reject(err)),
      );
    }
  };
  return (records, ctx) =>
    new Promise<void>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ records, ctx, resolve, reject });
    });
}
