import { v5 as uuidv5, validate, version } from 'uuid';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nameBasedId, newId } from './ids';
import { RandomPool, randomHex } from './random-pool';

/** The 48-bit Unix-ms timestamp at the front of a UUIDv7. */
const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

afterEach(() => vi.restoreAllMocks());

describe('newId', () => {
  it('gives valid, unique, strictly increasing UUIDv7s across several pool refills', () => {
    const fills = vi.spyOn(crypto, 'getRandomValues');
    const before = Date.now();
    const ids = Array.from({ length: 256 * 6 + 7 }, () => newId());
    const after = Date.now();
    // 4 KiB pool, 16 bytes per id: refilled at least six times on the way.
    expect(fills.mock.calls.length).toBeGreaterThanOrEqual(6);
    expect(fills.mock.calls.length).toBeLessThanOrEqual(8);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(validate(id) && version(id)).toBe(7);
      // RFC 9562 variant bits 10xx.
      expect('89ab').toContain(id[19]);
    }
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(msOf(ids[0]!)).toBeGreaterThanOrEqual(before);
    // Within one millisecond the counter may borrow the next one, never more than a few.
    expect(msOf(ids.at(-1)!)).toBeLessThanOrEqual(after + 1);
  });

  it('follows the clock: a later millisecond gives a later timestamp, even within a burst', () => {
    // Ahead of any id made so far in this process, whose counter state is shared.
    const t0 = Date.now() + 60_000;
    vi.useFakeTimers({ now: t0, toFake: ['Date'] });
    try {
      const a = [newId(), newId(), newId()];
      vi.setSystemTime(t0 + 5);
      const b = newId();
      expect(a.map(msOf)).toEqual([t0, t0, t0]);
      expect(msOf(b)).toBe(t0 + 5);
      expect([...a, b]).toEqual([...a, b].sort());
      // A clock that steps back does not break the order: the counter goes on.
      vi.setSystemTime(t0 - 1_000);
      const c = newId();
      expect(c > b).toBe(true);
      expect(msOf(c)).toBe(t0 + 5);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('RandomPool', () => {
  it('hands out each byte once and refills only when the next slice does not fit', () => {
    const pool = new RandomPool(64);
    const fills = vi.spyOn(crypto, 'getRandomValues');
    const slices = Array.from({ length: 9 }, () => Array.from(pool.take(16)));
    // 64 / 16 = 4 slices per fill: fills before the 1st, 5th and 9th.
    expect(fills).toHaveBeenCalledTimes(3);
    expect(new Set(slices.map((s) => s.join(','))).size).toBe(9);
    // After the 9th slice 48 bytes are left: 10 + 10 fit, then 30 does not.
    pool.take(10);
    pool.take(10);
    expect(fills).toHaveBeenCalledTimes(3);
    pool.take(30);
    expect(fills).toHaveBeenCalledTimes(4);
  });

  it('refuses sizes it cannot serve', () => {
    expect(() => new RandomPool(8)).toThrow(RangeError);
    expect(() => new RandomPool(70_000)).toThrow(RangeError);
    expect(() => new RandomPool(64).take(65)).toThrow(RangeError);
    expect(() => new RandomPool(64).take(0)).toThrow(RangeError);
  });
});

describe('randomHex', () => {
  it('gives lower-case hex of the asked length, different each time', () => {
    const ids = Array.from({ length: 600 }, () => randomHex(16));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('nameBasedId', () => {
  const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

  it('is the RFC 9562 UUIDv5, the same for the same namespace and name every time', () => {
    // RFC 9562, appendix A.4.
    expect(nameBasedId(DNS, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(nameBasedId(DNS, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('encodes names as UTF-8 exactly as uuid does for a string name, outside ASCII too', () => {
    const ns = '0d3f0f5e-6c4b-4f1e-9a52-3c9b1f0f6a10';
    for (const name of ['alice\nkey-1', 'héllo → wörld', '💬|bob|internal|read', '']) expect(nameBasedId(ns, name)).toBe(uuidv5(name, ns));
    expect(nameBasedId(ns, 'a')).not.toBe(nameBasedId(DNS, 'a'));
  });
});
