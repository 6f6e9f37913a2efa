/**
 * Random bytes handed out in slices of one pre-filled buffer. Asking the
 * CSPRNG for 16 bytes per id costs far more than the bytes themselves (2.5%
 * of frontend CPU in crypto.getRandomValues for UUIDv7 ids, 1% for trace ids
 * from randomBytes); one fill of 4 KiB serves 256 ids. Bytes are never handed
 * out twice: the buffer is refilled once the next request does not fit.
 */
export class RandomPool {
  private readonly buf: Uint8Array;
  private offset: number;

  constructor(size = 4096) {
    // getRandomValues fills at most 65 536 bytes per call.
    if (!Number.isInteger(size) || size < 16 || size > 65_536) throw new RangeError(`pool size must be 16..65536 bytes, got ${size}`);
    this.buf = new Uint8Array(size);
    this.offset = size; // filled on first use
  }

  /**
   * `n` fresh random bytes, as a view into the pool: a later refill
   * overwrites them, so read them at once or copy them (uuid and randomHex do).
   */
  take(n: number): Uint8Array {
    if (!Number.isInteger(n) || n < 1 || n > this.buf.length) throw new RangeError(`can take 1..${this.buf.length} bytes, asked for ${n}`);
    if (this.offset + n > this.buf.length) {
      // The global WebCrypto keeps the domain free of node: imports; same CSPRNG as node:crypto.
      crypto.getRandomValues(this.buf);
      this.offset = 0;
    }
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/** The process' pool, shared by newId and randomHex (single-threaded: no locking needed). */
export const randomPool = new RandomPool();

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `byteLength` random bytes as lower-case hex, e.g. randomHex(16) for a W3C trace id. */
export function randomHex(byteLength: number): string {
  const bytes = randomPool.take(byteLength);
  let s = '';
  for (const b of bytes) s += HEX[b];
  return s;
}
