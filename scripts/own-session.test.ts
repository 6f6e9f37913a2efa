import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, processExists } from '../test/support/spawn-service';

const REPO_ROOT = join(import.meta.dirname, '..');

/** Session id of a process (field 6 of /proc/PID/stat), undefined once it is gone. */
function sessionOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return undefined;
  }
}

/** Gone, or a zombie waiting for a parent that is itself gone. */
const stopped = (pid: number) => !processExists(pid) || sessionOf(pid) === undefined || stateOf(pid) === 'Z';

function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

// A service stand-in: stops gracefully on SIGTERM, taking a while and writing to its stdout (a pipe to its launcher) as it ends.
const service =
  "process.on('SIGTERM', () => setTimeout(() => { console.log('service stopped cleanly'); process.exit(0); }, 300)); console.log('service ready'); setInterval(() => {}, 1000);";

// A launcher that starts the service in a session of its own, as npm start and the benchmarks do, passes its output on and prints its pid.
// The crashing one fails only once the service has spoken: on a loaded machine a fixed timer could fire before the service is ready.
const launcher = (crash: boolean) => `
import { spawn } from 'node:child_process';
import { onSignalCleanup, stopWithThisProcess } from ${JSON.stringify(join(REPO_ROOT, 'scripts/own-session.ts'))};
const child = spawn(process.execPath, ['-e', ${JSON.stringify(service)}], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
stopWithThisProcess(child);
onSignalCleanup(async () => { await new Promise((r) => setTimeout(r, 100)); console.log('launcher cleaned up'); });
child.stdout.pipe(process.stdout);
console.log('pid ' + child.pid);
${crash ? "child.stdout.once('data', () => setTimeout(() => { throw new Error('launcher bug'); }, 100));" : ''}
setInterval(() => {}, 1000);
`;

async function startLauncher(crash = false): Promise<{ launcher: ReturnType<typeof spawn>; childPid: number; output: string[] }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', launcher(crash)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
  const childPid = await new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', () => {
      const line = output.find((l) => l.startsWith('pid '));
      if (line && output.includes('service ready')) resolve(Number(line.slice(4)));
    });
    proc.once('exit', (code) => reject(new Error(`launcher exited with ${code}`)));
  });
  return { launcher: proc, childPid, output };
}

describe('stopWithThisProcess (services in sessions of their own)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`the child runs in its own session; on ${signal} the launcher waits for its graceful stop, then ends`, async () => {
      const { launcher: proc, childPid, output } = await startLauncher();
      try {
        expect(processExists(childPid)).toBe(true);
        expect(sessionOf(childPid)).toBe(childPid);
        expect(sessionOf(childPid)).not.toBe(sessionOf(proc.pid!));
        const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
        proc.kill(signal);
        // The launcher still ends, with the conventional code for the signal.
        expect(await exited).toBe(signal === 'SIGINT' ? 130 : 143);
        // The service finished its own shutdown while the launcher still read its output.
        expect(output).toContain('service stopped cleanly');
        // Then its clean-up ran, before it ended.
        expect(output.indexOf('launcher cleaned up')).toBeGreaterThan(output.indexOf('service stopped cleanly'));
        await eventually(() => stopped(childPid), { what: 'the child to stop', timeoutMs: 5_000 });
      } finally {
        if (processExists(childPid)) process.kill(childPid, 'SIGKILL');
        proc.kill('SIGKILL');
      }
    });
  }

  it('a launcher that dies of an error takes the child with it', async () => {
    const { launcher: proc, childPid } = await startLauncher(true);
    try {
      const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
      expect(code).toBe(1);
      await eventually(() => stopped(childPid), { what: 'the child to stop', timeoutMs: 5_000 });
    } finally {
      if (processExists(childPid)) process.kill(childPid, 'SIGKILL');
    }
  });
});
