/**
 * `HUB_OBSERVABILITY=1 npm start`: beside the hub, a Prometheus of its own
 * scraping every service with the shipped alert rules, and Jaeger
 * receiving the services' traces (OTLP) with its UI. Both are installed by
 * scripts/observability/ensure-tools.sh (Debian's prometheus; Jaeger built
 * from its Go module and cached, which takes minutes the first time: the
 * build starts before the stack and the hub come up, and Jaeger starts
 * whenever it is done).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ALERTS_FILE } from './render-alerts';
import { startLocalPrometheus, type LocalPrometheus } from './local-prometheus';

export interface LocalObservabilitySettings {
  repoRoot: string;
  /** Where Prometheus keeps its config and data (under the git-ignored stack folder). */
  stackDir: string;
  say: (msg: string) => void;
}

export interface LocalObservability {
  /** Variables for the services: where to send their traces. */
  serviceEnv: Record<string, string>;
  /** Starts Prometheus (and Jaeger once built) for these service URLs; returns the lines to print. */
  start(targets: Record<string, string>): Promise<string[]>;
  stop(): Promise<void>;
}

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export function prepareLocalObservability(s: LocalObservabilitySettings): LocalObservability {
  const tools = join(s.repoRoot, 'scripts', 'observability', 'ensure-tools.sh');
  const prom = spawnSync('bash', [tools, 'prometheus'], { stdio: 'inherit' });
  if (prom.status !== 0) throw new Error('Prometheus could not be installed (see above)');

  const prometheusPort = port('HUB_PROMETHEUS_PORT', 9091);
  const jaegerUiPort = 16686;
  const otlpHttpPort = 4318;
  const jaegerBin = join(process.env.HUB_CACHE_DIR ?? join(homedir(), '.cache', 'messaging-hub'), 'bin', 'jaeger');
  const logDir = join(s.stackDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  let stopping = false;
  let prometheus: LocalPrometheus | undefined;
  let jaeger: ChildProcess | undefined;
  // The build goes on in the background while the stack and the services start.
  const build = spawn('bash', [tools, 'jaeger'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const built = new Promise<boolean>((resolve) => build.once('exit', (code) => resolve(code === 0)));

  const startJaeger = () => {
    if (stopping) return;
    // Jaeger v2's default configuration: all-in-one, in-memory storage, OTLP on 4317/4318, UI on 16686.
    const log = openSync(join(logDir, 'jaeger.log'), 'a');
    jaeger = spawn(jaegerBin, [], { stdio: ['ignore', log, log] });
    jaeger.once('exit', (code, signal) => {
      if (!stopping) s.say(`jaeger exited (${signal ?? `code ${code}`}); its log: ${join(logDir, 'jaeger.log')}`);
    });
  };

  return {
    serviceEnv: process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpHttpPort}` },
    async start(targets) {
      prometheus = await startLocalPrometheus({
        dir: join(s.stackDir, 'observability', 'prometheus'),
        port: prometheusPort,
        targets,
        rules: readFileSync(ALERTS_FILE, 'utf8'),
        scrapeInterval: '5s',
      });
      const lines = [
        `  Prometheus    ${prometheus.url}   (alerts: ${prometheus.url}/alerts, rules: deploy/observability/prometheus/alerts.yml)`,
      ];
      if (
        build.exitCode !== null ||
        (await Promise.race([built.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]))
      ) {
        if (await built) startJaeger();
        else lines.push('  Jaeger        could not be built (see above); traces are not collected');
      } else {
        s.say('Jaeger is still being built (first run only); it starts when the build is done');
        void built.then((ok) => {
          if (!ok) return s.say('Jaeger could not be built (see above); traces are not collected');
          startJaeger();
          s.say(`Jaeger is up: http://127.0.0.1:${jaegerUiPort}`);
        });
      }
      lines.push(`  Jaeger        http://127.0.0.1:${jaegerUiPort}   (OTLP in: http://127.0.0.1:${otlpHttpPort})`);
      return lines;
    },
    async stop() {
      stopping = true;
      // A build still running is left to finish: its binary is cached for the next start.
      if (jaeger && jaeger.exitCode === null) jaeger.kill('SIGTERM');
      await prometheus?.stop();
    },
  };
}
