import { describe, expect, it } from 'vitest';
import { summarizeGcPauses } from './gc-pauses';

describe('summarizeGcPauses', () => {
  it('sums and ranks the pauses of each kind from --trace-gc lines, ignoring other output', () => {
    const lines = [
      '[30187:0xd44eef0]    15353 ms: Scavenge 147.4 (226.2) -> 99.0 (227.5) MB, 6.37 / 0.02 ms  (average mu = 0.991, current mu = 0.990) task; ',
      '{"level":30,"msg":"frontend listening"}',
      '[30187:0xd44eef0]    15618 ms: Scavenge 149.3 (228.0) -> 101.9 (230.0) MB, 23.32 / 0.02 ms  (average mu = 0.991, current mu = 0.990) task; ',
      '[30187:0x7f7174000f00]    24417 ms: Mark-Compact (reduce) 13.2 (28.8) -> 9.8 (11.5) MB, 27.62 / 0.05 ms  (+ 12.8 ms in 106 steps) finalize incremental marking via task',
      '[30187:0xd44eef0]    15819 ms: Scavenge 152.2 (230.0) -> 103.8 (232.0) MB, 7.91 / 0.02 ms  (average mu = 0.991) task; ',
    ];
    expect(summarizeGcPauses(lines)).toBe(
      'Scavenge 3× total 38 ms, p50 7.9 / p90 23.3 / max 23.3 ms; Mark-Compact 1× total 28 ms, p50 27.6 / p90 27.6 / max 27.6 ms',
    );
  });

  it('says how to get GC lines when there are none', () => {
    expect(summarizeGcPauses(['plain output'])).toMatch(/BENCH_TRACE_GC=1/);
  });
});
