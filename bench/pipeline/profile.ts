interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * Top self-time entries of a V8 .cpuprofile, by function and by package
 * (node_modules/<pkg>, node: internals, or the repository's own code).
 */
export function summarizeProfile(
  profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[] },
  top: number,
): string[] {
  const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const url = n.callFrame.url;
    const short = url
      .replace(/^file:\/\//, '')
      .replace(/^.*node_modules\//, 'node_modules/')
      .replace(/^.*\/work\/main\//, '');
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${short ? `${short}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    const pkg = !url
      ? n.callFrame.functionName || '(native)'
      : url.startsWith('node:')
        ? 'node: internals'
        : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? short.split('/').slice(0, 3).join('/'));
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
  }
  const pct = (h: number) => `${((100 * h) / total).toFixed(1).padStart(5)}%`;
  const lines = ['by package:'];
  for (const [k, h] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(h)}  ${k}`);
  lines.push('by function (self time):');
  for (const [k, h] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(h)}  ${k}`);
  return lines;
}
