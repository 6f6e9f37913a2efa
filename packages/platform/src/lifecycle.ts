import type { Logger } from 'pino';
import { ConfigError } from './config';

export interface Running {
  /** Stop intake, drain in-flight work, commit, close clients. */
  stop(): Promise<void>;
}

/**
 * The process supervisor of every service's main.ts: starts it, and on
 * SIGTERM/SIGINT stops it within the shutdown timeout. A ConfigError is
 * printed as is (it already names every bad variable) and exits 78 (EX_CONFIG).
 */
export async function runMain(
  opts: { name: string; logger?: () => Logger | undefined; shutdownTimeoutMs?: number | (() => number | undefined) },
  start: () => Promise<Running>,
): Promise<void> {
  const started = start();
  // Listening for signals from the first moment (signals arrive through the
  // event loop, so none is missed before this): a SIGTERM while the service
  // is still starting (a rollout or scale-down right after the pod came up)
  // would otherwise hit node's default action and kill it mid-start, without
  // the drain. Such a stop waits for the start to finish, within the timeout.
  let stopping = false;
  const timeoutMs = () => (typeof opts.shutdownTimeoutMs === 'function' ? opts.shutdownTimeoutMs() : opts.shutdownTimeoutMs) ?? 15_000;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    opts.logger?.()?.info({ signal }, `${opts.name} shutting down`);
    const timeout = timeoutMs();
    const timer = setTimeout(() => {
      opts.logger?.()?.error({ timeout_ms: timeout }, `${opts.name} did not stop in time; exiting`);
      process.exit(1);
    }, timeout);
    timer.unref();
    let running: Running;
    try {
      running = await started;
    } catch {
      return; // the start failed: its handler below exits
    }
    const log = opts.logger?.();
    try {
      await running.stop();
      log?.info(`${opts.name} stopped`);
      log?.flush?.();
      process.exit(0);
    } catch (err) {
      log?.error({ err }, `${opts.name} failed to stop cleanly`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await started;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${opts.name}: ${err.message}\n`);
      process.exit(78);
    }
    const log = opts.logger?.();
    if (log) log.fatal({ err }, `${opts.name} failed to start`);
    else process.stderr.write(`${opts.name} failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}
