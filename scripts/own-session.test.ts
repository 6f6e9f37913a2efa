import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// A launcher that starts a long-running child in a session of its own, as npm start and the benchmarks do, and prints the child's pid.
const launcher = `
import { spawn } from 'node:child_process';
import { stopWithThisProcess } from ${JSON.stringify(join(REPO_ROOT, 'scripts/own-session.ts'))};
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
stopWithThisProcess(child);
console.log(child.pid);
setInterval(() => {}, 1000);
`;

async function startLauncher(): Promise<{ launcher: ReturnType<typeof spawn>; childPid: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', launcher], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const childPid = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', (code) => reject(new Error(`launcher exited with ${code}`)));
  });
  return { launcher: proc, childPid };
}

async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('stopWithThisProcess (services in sessions of their own)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`the child runs in its own session and stops when the launcher gets ${signal}`, async () => {
      const { launcher: proc, childPid } = await startLauncher();
      try {
        expect(alive(childPid)).toBe(true);
        expect(sessionOf(childPid)).toBe(childPid);
        expect(sessionOf(childPid)).not.toBe(sessionOf(proc.pid!));
        const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
        proc.kill(signal);
        // The launcher still ends, with the conventional code for the signal.
        expect(await exited).toBe(signal === 'SIGINT' ? 130 : 143);
        expect(await until(() => !alive(childPid) || sessionOf(childPid) === undefined)).toBe(true);
      } finally {
        if (alive(childPid)) process.kill(childPid, 'SIGKILL');
        proc.kill('SIGKILL');
      }
    });
  }
});
