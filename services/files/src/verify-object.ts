import { createHash } from 'node:crypto';
import type { FileFailureReason } from '@hub/domain';
import type { ObjectStore } from '@hub/platform';

export type Verification = { ok: true } | { ok: false; reason: FileFailureReason; detail: string } | { ok: 'missing' };

/**
 * Checks an uploaded object against what the client declared: the size
 * from the server's metadata first (cheap, and catches most mistakes), then
 * the SHA-256 of the bytes streamed back from storage. The object is
 * hashed as it streams, so memory stays flat whatever the file's size.
 */
export async function verifyObject(
  store: ObjectStore,
  key: string,
  expected: { size: number; sha256: string },
  onBytes?: (n: number) => void,
): Promise<Verification> {
  const stat = await store.stat(key);
  if (!stat) return { ok: 'missing' };
  if (stat.size !== expected.size)
    return { ok: false, reason: 'size_mismatch', detail: `declared ${expected.size} bytes, the uploaded object has ${stat.size}` };
  const hash = createHash('sha256');
  let read = 0;
  for await (const chunk of await store.read(key)) {
    hash.update(chunk as Buffer);
    read += (chunk as Buffer).length;
    onBytes?.((chunk as Buffer).length);
  }
  // The object may have been overwritten between stat and read (a client re-using its URL).
  if (read !== expected.size)
    return { ok: false, reason: 'size_mismatch', detail: `declared ${expected.size} bytes, the uploaded object has ${read}` };
  const actual = hash.digest('hex');
  if (actual !== expected.sha256)
    return { ok: false, reason: 'checksum_mismatch', detail: `declared SHA-256 ${expected.sha256}, the uploaded bytes hash to ${actual}` };
  return { ok: true };
}
