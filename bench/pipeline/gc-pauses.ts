/**
 * Stop-the-world pauses from a process's `--trace-gc` lines, e.g.
 *   [123:0x5f…]  15618 ms: Scavenge 149.3 (228.0) -> 101.9 (230.0) MB, 23.32 / 0.02 ms  (…) task;
 * summarised per kind: count, total, p50 / p90 / max (ms).
 */
export function summarizeGcPauses(lines: readonly string[]): string {
  const byKind = new Map<string, number[]>();
  for (const line of lines) {
    const m = /\d+ ms: ([A-Za-z-]+)(?: \([a-z]+\))? [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ([\d.]+) \//.exec(line);
    if (!m) continue;
    const list = byKind.get(m[1]!) ?? [];
    list.push(Number(m[2]));
    byKind.set(m[1]!, list);
  }
  if (byKind.size === 0) return 'no GC lines (run with BENCH_TRACE_GC=1)';
  const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return [...byKind]
    .map(([kind, pauses]) => {
      const s = [...pauses].sort((a, b) => a - b);
      const total = s.reduce((a, b) => a + b, 0);
      return `${kind} ${s.length}× total ${total.toFixed(0)} ms, p50 ${at(s, 0.5).toFixed(1)} / p90 ${at(s, 0.9).toFixed(1)} / max ${s[s.length - 1]!.toFixed(1)} ms`;
    })
    .join('; ');
}
