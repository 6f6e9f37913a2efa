import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_NODE_FLAGS } from '../../scripts/node-flags';
import { stopWithThisProcess } from '../../scripts/own-session';
import { REPO_ROOT } from './stack-env';

export interface ServiceProcess {
  name: string;
  proc: ChildProcess;
  url: string;
  port: number;
  /** Every line the process wrote to stdout and stderr, for assertions and failure output. */
  output: string[];
  /** Sends a signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export type ServiceName = 'frontend' | 'router' | 'presence' | 'files';

/**
 * Runs a service's main.ts as its own process, the way production does,
 * and resolves once it logged that it listens. Port 0 unless given.
 */
export function spawnService(
  name: ServiceName,
  env: Record<string, string>,
  opts: {
    timeoutMs?: number;
    /** Extra node flags (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
    nodeArgs?: string[];
    /** Run it in a session of its own, so that it gets a CPU share of its own as a container would (why: scripts/own-session.ts). */
    ownSession?: boolean;
  } = {},
): Promise<ServiceProcess> {
  const portVar = `${name.toUpperCase()}_PORT`;
  const proc = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS[name], ...(opts.nodeArgs ?? []), '--import', 'tsx', join(REPO_ROOT, 'services', name, 'src', 'main.ts')],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', [portVar]: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.ownSession === true,
    },
  );
  if (opts.ownSession) stopWithThisProcess(proc);
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${opts.timeoutMs ?? 60_000} ms:\n${output.slice(-30).join('\n')}`));
    }, opts.timeoutMs ?? 60_000);
    const onLine = (line: string) => {
      output.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string; port?: number };
        if (rec.msg === `${name} listening` && rec.url && rec.port) {
          clearTimeout(timer);
          resolve({
            name,
            proc,
            url: rec.url,
            port: rec.port,
            output,
            exited,
            stop: (signal = 'SIGTERM') => {
              if (proc.exitCode !== null || proc.signalCode !== null) return exited;
              proc.kill(signal);
              return exited;
            },
          });
        }
      } catch {
        // not JSON (stderr text): kept in output only
      }
    };
    pipeLines(proc.stdout!, onLine);
    pipeLines(proc.stderr!, onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${output.slice(-30).join('\n')}`));
    });
  });
}

function pipeLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

/** Whether a process with this pid exists (a zombie counts: reaped only by its parent). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until fn returns a truthy value, or fails with the last error. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
