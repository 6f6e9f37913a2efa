import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { stackEnv } from '../../../../test/support/stack-env';
import { eventually } from '../../../../test/support/spawn-service';
import { EtcdStore } from './etcd-store';
import type { KvChange } from './key-value-store';

describe('etcd client module (real etcd)', () => {
  const store = new EtcdStore({ hosts: stackEnv().ETCD_HOSTS!.split(','), namespace: `t-${randomUUID()}/` });
  afterAll(async () => {
    await store.client
      .namespace('')
      .delete()
      .prefix((store as unknown as { ns: { prefix: Buffer } }).ns.prefix?.toString() ?? 'x')
      .catch(() => {});
    store.close();
  });

  it('creates a key only if absent: of concurrent creators exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.createIfAbsent('users/alice', { owner: i })));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.get('users/alice')).toEqual({ owner: winner });
  });

  it('compare-and-set fails on a stale revision', async () => {
    await store.put('cas/k', { v: 1 });
    const first = await store.getWithRevision<{ v: number }>('cas/k');
    expect(await store.compareAndSet('cas/k', { v: 2 }, first!.revision)).toBe(true);
    expect(await store.compareAndSet('cas/k', { v: 3 }, first!.revision)).toBe(false);
    expect(await store.get('cas/k')).toEqual({ v: 2 });
  });

  it('a watch on a prefix sees puts and deletes', async () => {
    const changes: KvChange[] = [];
    const stop = await store.watchPrefix('watched/', (c) => changes.push(c));
    await store.put('watched/a', { n: 1 });
    await store.delete('watched/a');
    await store.put('other/b', { n: 2 });
    await eventually(() => changes.length >= 2, { what: 'watch events' });
    await stop();
    expect(changes[0]).toEqual({ type: 'put', key: 'watched/a', value: { n: 1 } });
    expect(changes[1]).toEqual({ type: 'delete', key: 'watched/a' });
    expect(changes.some((c) => c.key.includes('other'))).toBe(false);
  });
});
