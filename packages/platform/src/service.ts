import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { baseConfigSchema } from './config';
import { connectInfra, type Infra, type InfraNeeds } from './infra';
import { createLogger, type Logger } from './logger';
import { runMain } from './lifecycle';
import { createMetricsRegistry } from './metrics';
import { listen } from './http/serve';
import { startTracing } from './telemetry/start-tracing';

type BaseConfig = z.infer<typeof baseConfigSchema>;

export interface ServiceContext<C, N extends InfraNeeds = InfraNeeds> {
  config: C;
  logger: Logger;
  registry: Registry;
  /** Exactly the clients `needs` named (non-optional where always needed). */
  infra: Infra<N>;
  isDraining: () => boolean;
}

export interface BuiltService {
  app: Hono<any>;
  /** Starts background work (consumers, subscriptions) after the HTTP server listens. */
  start?(): Promise<void>;
  /** Stops intake and drains background work; runs before clients are closed. */
  stop?(): Promise<void>;
  /** Receives the service's listening server: to handle HTTP upgrades (WebSocket), or to learn the port it bound. */
  attach?(server: import('node:http').Server): void;
}

export interface ServiceDefinition<C extends BaseConfig, N extends InfraNeeds> {
  name: string;
  loadConfig: () => C;
  needs: (config: C) => N;
  address: (config: C) => { host: string; port: number };
  build: (ctx: ServiceContext<C, N>) => Promise<BuiltService> | BuiltService;
}

/**
 * The one composition path of every service process: validate config,
 * build logger/metrics/telemetry, connect infrastructure, build the app,
 * listen, start workers; on SIGTERM fail readiness, stop intake, drain
 * workers, close clients.
 */
export function runService<C extends BaseConfig, const N extends InfraNeeds>(def: ServiceDefinition<C, N>): Promise<void> {
  let logger: Logger | undefined;
  let shutdownTimeoutMs: number | undefined;
  return runMain({ name: def.name, logger: () => logger, shutdownTimeoutMs: () => shutdownTimeoutMs }, async () => {
    const config = def.loadConfig();
    shutdownTimeoutMs = config.SHUTDOWN_TIMEOUT_MS;
    logger = createLogger({ service: def.name, level: config.LOG_LEVEL });
    // Started already by the service's tracing.ts (first import of its main.ts); this returns that handle.
    const telemetry = await startTracing(def.name);
    const registry = createMetricsRegistry(def.name);
    const infra = await connectInfra(def.needs(config), def.name, logger);
    let draining = false;
    const built = await def.build({ config, logger, registry, infra, isDraining: () => draining });
    const server = await listen(built.app, def.address(config));
    built.attach?.(server.server as import('node:http').Server);
    await built.start?.();
    logger.info({ url: server.url, port: server.port }, `${def.name} listening`);
    const log = logger;
    return {
      stop: async () => {
        draining = true;
        await Promise.all([server.close(), built.stop?.()]);
        await infra.close();
        await telemetry.shutdown();
        log.info('clients closed');
      },
    };
  });
}
