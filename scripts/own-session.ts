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

/** How long a signalled launcher waits for its children's graceful stop before killing them. */
const STOP_GRACE_MS = 20_000;
/** How long a signalled launcher gives its clean-ups (registered with onSignalCleanup). */
const CLEANUP_MS = 15_000;

const owned = new Set<ChildProcess>();
const cleanups: Array<() => Promise<unknown>> = [];
let hooked = false;

/**
 * Work a signal must not skip, run after the services stopped (a
 * benchmark's removal of the topics, keys and database it made, which its
 * own `finally` does on every other path). Only for launchers whose
 * signals stopWithThisProcess handles.
 */
export function onSignalCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/**
 * Stops `child` with this process:
 *  - on SIGINT, SIGTERM or SIGHUP that nothing else handles: SIGTERM to
 *    each child, wait until they exited (SIGKILL after 20 s), run the
 *    clean-ups given to onSignalCleanup (15 s at most), then end with the
 *    signal's conventional code. The wait matters: a service
 *    stopping gracefully still writes to its stdout, which is a pipe to
 *    this process; with this end gone, a service was seen hanging in its
 *    shutdown for good.
 *  - on any other exit (an uncaught error, process.exit) with children
 *    still running: SIGKILL, as nothing can be awaited there. Every
 *    service is built to be killed (the router's batches are redelivered
 *    and idempotent).
 */
export function stopWithThisProcess(child: ChildProcess): void {
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of owned) if (running(c)) c.kill('SIGKILL');
  });
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.on(signal, () => {
      // Someone else (npm start's shutdown) handles it: leave it to them.
      if (process.listenerCount(signal) > 1) return;
      void stopAll()
        .then(() => Promise.race([Promise.allSettled(cleanups.map((c) => c())), new Promise((r) => setTimeout(r, CLEANUP_MS).unref())]))
        .then(() => process.exit(code));
    });
  }
}

let stopping: Promise<void> | undefined;

function stopAll(): Promise<void> {
  stopping ??= Promise.all(
    [...owned].filter(running).map(
      (c) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
          // 'close': exited and its output read to the end.
          c.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    ),
  ).then(() => {});
  return stopping;
}
