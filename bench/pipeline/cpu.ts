import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Watched {
  name: string;
  pid: number;
}

/** Clock ticks per second of /proc CPU times (almost always 100). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** user + system CPU seconds a process has used so far, or undefined when it is gone (or this is not Linux). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses; utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return undefined;
  }
}

/** The local stack's servers, from the pid files stack.sh keeps (none when the stack is someone else's). */
export function stackServers(stackDir: string): Watched[] {
  const names: Record<string, string> = { mongo: 'FerretDB', kafka: 'Kafka', redis: 'Redis', etcd: 'etcd', s3: 'S3' };
  const out: Watched[] = [];
  for (const [file, name] of Object.entries(names)) {
    const p = join(stackDir, 'pids', `${file}.pid`);
    if (!existsSync(p)) continue;
    const pid = Number(readFileSync(p, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && cpuSeconds(pid) !== undefined) out.push({ name, pid });
  }
  return out;
}

/**
 * CPU used by each watched process from now to stop(), as a share of one
 * core: the "where the time goes" of a phase when the whole stack shares
 * the machine. Sampled every second as well, so a process that exits
 * before stop() (wrk) is counted up to its last sample.
 */
export function cpuShares(watched: Watched[]): { stop(): string } {
  const t0 = performance.now();
  const first = watched.map((w) => cpuSeconds(w.pid));
  const last = first.map((v) => ({ value: v, at: t0 }));
  const sample = () => {
    watched.forEach((w, i) => {
      const v = cpuSeconds(w.pid);
      if (v !== undefined) last[i] = { value: v, at: performance.now() };
    });
  };
  const timer = setInterval(sample, 1_000);
  let result: string | undefined;
  return {
    stop: () => {
      if (result !== undefined) return result;
      clearInterval(timer);
      sample();
      const shares = watched
        .map((w, i) => {
          const a = first[i];
          const b = last[i]!;
          return {
            name: w.name,
            share: a === undefined || b.value === undefined || b.at <= t0 ? NaN : (b.value - a) / ((b.at - t0) / 1000),
          };
        })
        .filter((s) => Number.isFinite(s.share))
        .sort((x, y) => y.share - x.share);
      const total = shares.reduce((s, x) => s + x.share, 0);
      result = `${shares.map((s) => `${s.name} ${Math.round(s.share * 100)} %`).join(', ')} (total ${Math.round(total * 100)} % of one core)`;
      return result;
    },
  };
}
