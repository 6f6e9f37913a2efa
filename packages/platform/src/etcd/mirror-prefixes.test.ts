import { describe, expect, it } from 'vitest';
import type { KeyValueStore, KvChange } from './key-value-store';
import { mirrorPrefixes } from './mirror-prefixes';

/**
 * Just the two calls mirrorPrefixes makes: a listing that can be made to
 * wait (to write during the load) or fail, and watches a test can fire.
 */
function scriptedStore(listing: Record<string, unknown>, opts: { failList?: boolean } = {}) {
  const watchers: Array<{ prefix: string; onChange: (c: KvChange) => void; stopped: boolean }> = [];
  let release!: () => void;
  const listed = new Promise<void>((r) => (release = r));
  const kv = {
    watchPrefix: async (prefix: string, onChange: (c: KvChange) => void) => {
      const w = { prefix, onChange, stopped: false };
      watchers.push(w);
      return async () => {
        w.stopped = true;
      };
    },
    list: async (prefix: string) => {
      await listed;
      if (opts.failList) throw new Error('etcd unavailable');
      return new Map(Object.entries(listing).filter(([k]) => k.startsWith(prefix)));
    },
  } as unknown as KeyValueStore;
  const fire = (c: KvChange) => watchers.filter((w) => !w.stopped && c.key.startsWith(w.prefix)).forEach((w) => w.onChange(c));
  return { kv, watchers, fire, release };
}

describe('mirrorPrefixes', () => {
  it('applies the listing, then the changes made while it was read, then live changes', async () => {
    const s = scriptedStore({ 'a/1': 'old', 'b/1': 'b' });
    const copy = new Map<string, unknown>();
    const loading = mirrorPrefixes(s.kv, ['a/', 'b/'], {
      apply: (c) => (c.type === 'put' ? copy.set(c.key, c.value) : copy.delete(c.key)),
      onMalformed: () => {},
    });
    await new Promise((r) => setImmediate(r));
    // Written while the (older) listing is on its way: must win over it.
    s.fire({ type: 'put', key: 'a/1', value: 'new' });
    s.fire({ type: 'delete', key: 'b/1' });
    s.release();
    const stop = await loading;
    expect(Object.fromEntries(copy)).toEqual({ 'a/1': 'new' });

    s.fire({ type: 'put', key: 'b/2', value: 'live' });
    expect(copy.get('b/2')).toBe('live');
    await stop();
    expect(s.watchers.every((w) => w.stopped)).toBe(true);
  });

  it('skips and reports a value apply() refuses, and goes on with the others', async () => {
    const s = scriptedStore({ 'a/bad': 'x', 'a/good': 'y' });
    s.release();
    const copy = new Map<string, unknown>();
    const refused: string[] = [];
    await mirrorPrefixes(s.kv, ['a/'], {
      apply: (c) => {
        if (c.key.endsWith('bad')) throw new Error('malformed');
        if (c.type === 'put') copy.set(c.key, c.value);
      },
      onMalformed: (c, err) => refused.push(`${c.key}: ${err.message}`),
    });
    s.fire({ type: 'put', key: 'a/bad', value: 'still bad' });
    s.fire({ type: 'put', key: 'a/later', value: 'z' });
    expect(refused).toEqual(['a/bad: malformed', 'a/bad: malformed']);
    expect([...copy.keys()].sort()).toEqual(['a/good', 'a/later']);
  });

  it('stops the watches it started when the listing fails, and throws', async () => {
    const s = scriptedStore({}, { failList: true });
    s.release();
    await expect(mirrorPrefixes(s.kv, ['a/', 'b/'], { apply: () => {}, onMalformed: () => {} })).rejects.toThrow('etcd unavailable');
    expect(s.watchers).toHaveLength(2);
    expect(s.watchers.every((w) => w.stopped)).toBe(true);
  });
});
