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
export async function runMain(opts: { name: string; logger?: () => Logger | undefined; shutdownTimeoutMs?: number }, start: () => Promise<Running>): Promise<void> {
  let running: Running;
  try {
    running = await start();
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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const log = opts.logger?.();
    log?.info({ signal }, `${opts.name} shutting down`);
    const timeout = opts.shutdownTimeoutMs ?? 15_000;
    const timer = setTimeout(() => {
      log?.error({ timeout_ms: timeout }, `${opts.name} did not stop in time; exiting`);
      process.exit(1);
    }, timeout);
    timer.unref();
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
}
