import { startGateway } from '../../scripts/gateway';
import { cleanupTestEnv, testFrontendEnv } from './identity';
import { spawnService, type ServiceProcess } from './spawn-service';

export interface StartedHub {
  /** The gateway: one base URL for the whole API, as `npm start` serves it. */
  url: string;
  env: Record<string, string>;
  services: ServiceProcess[];
  stop(): Promise<void>;
}

/**
 * The four services as their own processes (port 0) on the shared stack, in
 * a private namespace, behind the local gateway: what `npm start` runs, for
 * tests that drive the hub from outside (CLI, demos).
 */
export async function startHub(overrides: Record<string, string> = {}): Promise<StartedHub> {
  const env = testFrontendEnv({ RATE_LIMIT_PER_MIN: '1000000', ...overrides });
  const services = await Promise.all(
    (['frontend', 'router', 'presence', 'files'] as const).map((name) => spawnService(name, env, { timeoutMs: 150_000 })),
  );
  const [frontend, router, presence, files] = services as [ServiceProcess, ServiceProcess, ServiceProcess, ServiceProcess];
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    upstreams: { frontend: frontend.url, router: router.url, presence: presence.url, files: files.url },
  });
  return {
    url: gateway.url,
    env,
    services,
    stop: async () => {
      await gateway.close();
      await Promise.allSettled(services.map((s) => s.stop()));
      await cleanupTestEnv(env);
    },
  };
}
