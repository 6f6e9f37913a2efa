import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  non2xx: number;
  socketErrors: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Fails at once, saying how to get wrk, instead of after minutes of set-up and earlier phases. */
export function assertWrkInstalled(phasesNeedingIt: string[]): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    // wrk --version exits 1 after printing its version; only a missing binary is a problem.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
    throw new Error(
      `the ${phasesNeedingIt.join(' and ')} phase${phasesNeedingIt.length > 1 ? 's need' : ' needs'} wrk, which is not installed: apt-get install wrk (Debian/Ubuntu), or leave ${phasesNeedingIt.length > 1 ? 'them' : 'it'} out with BENCH_PHASES`,
    );
  }
}

/**
 * Runs wrk with a Lua script whose `request()` builds each request; the
 * script's `done()` prints the summary as JSON (wrk's own --latency output
 * has no p95).
 */
export function runWrk(opts: { url: string; seconds: number; connections: number; threads?: number; requestLua: string }): {
  result: Promise<WrkResult>;
  kill(): void;
  pid: number | undefined;
} {
  const script = join(tmpdir(), `bench-pipeline-${randomUUID()}.lua`);
  writeFileSync(
    script,
    `${opts.requestLua}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
`,
  );
  let child: ReturnType<typeof execFile> | undefined;
  const result = new Promise<WrkResult>((resolve, reject) => {
    child = execFile(
      'wrk',
      [`-t${opts.threads ?? 1}`, `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '10s', '-s', script, opts.url],
      { timeout: (opts.seconds + 60) * 1000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        const line = /WRKJSON (\{.*\})/.exec(stdout)?.[1];
        if (!line) return reject(new Error(`wrk failed: ${err?.message ?? ''} ${stderr} ${stdout}`));
        const j = JSON.parse(line) as {
          requests: number;
          duration_us: number;
          non2xx: number;
          socket: number;
          p50: number;
          p95: number;
          p99: number;
          max: number;
        };
        const seconds = j.duration_us / 1e6;
        resolve({
          requests: j.requests,
          seconds,
          rps: j.requests / seconds,
          non2xx: j.non2xx,
          socketErrors: j.socket,
          p50: j.p50 / 1000,
          p95: j.p95 / 1000,
          p99: j.p99 / 1000,
          max: j.max / 1000,
        });
      },
    );
  });
  // execFile ran inside the executor above, so the child exists here.
  return { result, kill: () => child?.kill('SIGTERM'), pid: (child as ReturnType<typeof execFile> | undefined)?.pid };
}
