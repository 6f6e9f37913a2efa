/**
 * Runs `fn` for every item with at most `limit` calls in flight, starting
 * them in the items' order; rejects with the first error (calls already
 * started run to their end). For fanning a batch out to a store without
 * flooding its connection pool.
 */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
