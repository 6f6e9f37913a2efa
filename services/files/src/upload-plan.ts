/** S3 allows at most this many parts per multipart upload. */
export const MAX_PARTS = 10_000;
const MiB = 1024 * 1024;

export type UploadPlan = { mode: 'single' } | { mode: 'multipart'; partSize: number; partCount: number };

export interface PartSpan {
  partNumber: number;
  offset: number;
  size: number;
}

/**
 * One PUT up to the threshold; above it, parts of the configured size,
 * grown (in whole MiB) when the file would otherwise need more parts than
 * S3 allows.
 */
export function planUpload(size: number, opts: { multipartThreshold: number; partSize: number }): UploadPlan {
  if (size <= opts.multipartThreshold) return { mode: 'single' };
  const minimum = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  const partSize = Math.max(opts.partSize, minimum);
  return { mode: 'multipart', partSize, partCount: Math.ceil(size / partSize) };
}

/** Byte ranges of each part: all `partSize` long but the last. */
export function partSpans(size: number, partSize: number): PartSpan[] {
  const spans: PartSpan[] = [];
  for (let offset = 0, n = 1; offset < size; offset += partSize, n++) {
    spans.push({ partNumber: n, offset, size: Math.min(partSize, size - offset) });
  }
  return spans;
}
