import type { ChildProcess } from 'node:child_process';

/*
 * Why services run in sessions of their own (spawn's `detached: true`):
 * with the kernel's autogroup scheduling (on by default on desktop and
 * many server kernels), CPU time is shared fairly between sessions first
 * and between the processes of a session second. The local stack's
 * servers each run in their own session (stack.sh uses setsid), so hub
 * services left in the launcher's session share one CPU share among them
 * all: under saturation FerretDB alone got as much CPU as frontend,
 * router, presence and files together. A session per service gives each
 * the share a container (its own cgroup, equal weight) gets in
 * docker-compose or Kubernetes.
 *
 * A child in another session no longer receives the terminal's Ctrl-C,
 * so the launcher must stop it: stopWithThisProcess.
 */

const owned = new Set<ChildProcess>();
let hooked = false;

/**
 * Stops `child` (SIGTERM) when this process exits, including on SIGINT,
 * SIGTERM or SIGHUP that nothing else handles (they then end this process
 * as they would have, after stopping the children).
 */
export function stopWithThisProcess(child: ChildProcess): void {
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of owned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      // Someone else (npm start's shutdown) handles it: leave it to them.
      if (process.listenerCount(signal) > 1) return;
      process.exit(code);
    });
  }
}
