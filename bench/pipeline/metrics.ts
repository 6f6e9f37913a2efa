/** Reads counters and histograms from Prometheus text exposition. */
export async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Sum of a metric's samples across label sets (and across the given scrapes). */
export function sumMetric(texts: string[], name: string): number {
  let total = 0;
  const re = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm');
  for (const t of texts) for (const m of t.matchAll(re)) total += Number(m[1]);
  return total;
}

/** Cumulative bucket counts of a histogram (summed over label sets and scrapes), by upper bound. */
export function buckets(texts: string[], name: string): Map<number, number> {
  const out = new Map<number, number>();
  const re = new RegExp(`^${name}_bucket\\{[^}]*le="([^"]+)"[^}]*\\} ([0-9.e+-]+)$`, 'gm');
  for (const t of texts) {
    for (const m of t.matchAll(re)) {
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      out.set(le, (out.get(le) ?? 0) + Number(m[2]));
    }
  }
  return out;
}

/** Quantile from the difference of two cumulative bucket sets, interpolating linearly inside a bucket (like PromQL histogram_quantile). */
export function quantileFromBuckets(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= rank) {
      const upper = bounds[i]!;
      // Past the last finite bucket: only a lower bound is known.
      if (upper === Infinity) return Infinity;
      const inBucket = counts[i]! - prevCount;
      return prevBound + (upper - prevBound) * (inBucket > 0 ? (rank - prevCount) / inBucket : 0);
    }
    prevBound = bounds[i]!;
    prevCount = counts[i]!;
  }
  return prevBound;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Sums of a metric's samples grouped by one label's value. */
export function sumByLabel(texts: string[], name: string, label: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${name}\\{([^}]*)\\} ([0-9.e+-]+)$`, 'gm');
  for (const t of texts) {
    for (const m of t.matchAll(re)) {
      const value = new RegExp(`${label}="([^"]*)"`).exec(m[1]!)?.[1];
      if (value !== undefined) out.set(value, (out.get(value) ?? 0) + Number(m[2]));
    }
  }
  return out;
}
