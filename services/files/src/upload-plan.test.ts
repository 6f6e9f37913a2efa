import { describe, expect, it } from 'vitest';
import { MAX_PARTS, partSpans, planUpload } from './upload-plan';

const MiB = 1024 * 1024;
const opts = { multipartThreshold: 64 * MiB, partSize: 16 * MiB };

describe('planUpload', () => {
  it('uses one PUT up to and including the threshold', () => {
    expect(planUpload(0, opts)).toEqual({ mode: 'single' });
    expect(planUpload(64 * MiB, opts)).toEqual({ mode: 'single' });
  });

  it('splits larger files into parts of the configured size', () => {
    expect(planUpload(64 * MiB + 1, opts)).toEqual({ mode: 'multipart', partSize: 16 * MiB, partCount: 5 });
    expect(planUpload(100 * MiB, opts)).toEqual({ mode: 'multipart', partSize: 16 * MiB, partCount: 7 });
  });

  it('grows the part size so a huge file never needs more than 10,000 parts', () => {
    const plan = planUpload(1024 * 1024 * MiB, opts); // 1 TiB
    expect(plan.mode).toBe('multipart');
    if (plan.mode !== 'multipart') return;
    expect(plan.partCount).toBeLessThanOrEqual(MAX_PARTS);
    expect(plan.partSize % MiB).toBe(0);
  });
});

describe('partSpans', () => {
  it('covers every byte once, the last part holding the remainder', () => {
    const spans = partSpans(40 * MiB + 3, 16 * MiB);
    expect(spans).toEqual([
      { partNumber: 1, offset: 0, size: 16 * MiB },
      { partNumber: 2, offset: 16 * MiB, size: 16 * MiB },
      { partNumber: 3, offset: 32 * MiB, size: 8 * MiB + 3 },
    ]);
  });
});
