/**
 * A Prometheus of our own for a running hub: `HUB_OBSERVABILITY=1 npm start`
 * and the alert tests. It scrapes every service's own port with the shipped
 * job names and rules, from a config and data folder of its own on a port of
 * its own, so the system service Debian's package installs (on 9090) never
 * matters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalPrometheusOptions {
  /** Folder for the generated config, rules and TSDB data. */
  dir: string;
  port: number;
  /** Base URL of each service, by service name (job hub-<name>). */
  targets: Record<string, string>;
  /** The rules file's text (the shipped alerts.yml or a rendering with short durations). */
  rules: string;
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** Alertmanager address (host:port), when one runs. */
  alertmanager?: string;
}

export interface LocalPrometheus {
  url: string;
  proc: ChildProcess;
  output: string[];
  /** Points a job at another address (a service restarted on another port); Prometheus follows the file. */
  setTarget(service: string, url: string): void;
  stop(): Promise<void>;
}

/** The file a job's targets are read from (file-based discovery, so they can change while Prometheus runs). */
export function targetsFile(dir: string, service: string): string {
  return join(dir, 'targets', `${service}.json`);
}

function writeTargets(dir: string, service: string, url: string): void {
  writeFileSync(targetsFile(dir, service), `${JSON.stringify([{ targets: [new URL(url).host] }])}\n`);
}

/** The scrape config as JSON, which is YAML too (Prometheus reads either). */
export function prometheusConfig(o: Omit<LocalPrometheusOptions, 'port' | 'rules'> & { rulesFile: string }): string {
  const config = {
    global: {
      scrape_interval: o.scrapeInterval ?? '15s',
      evaluation_interval: o.evaluationInterval ?? o.scrapeInterval ?? '15s',
      external_labels: { system: 'messaging-hub' },
    },
    rule_files: [o.rulesFile],
    ...(o.alertmanager ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] } } : {}),
    scrape_configs: Object.keys(o.targets).map((service) => ({
      job_name: `hub-${service}`,
      scrape_timeout: '1s',
      file_sd_configs: [{ files: [targetsFile(o.dir, service)], refresh_interval: '5s' }],
    })),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function startLocalPrometheus(o: LocalPrometheusOptions): Promise<LocalPrometheus> {
  mkdirSync(join(o.dir, 'data'), { recursive: true });
  mkdirSync(join(o.dir, 'targets'), { recursive: true });
  for (const [service, url] of Object.entries(o.targets)) writeTargets(o.dir, service, url);
  const rulesFile = join(o.dir, 'alerts.yml');
  writeFileSync(rulesFile, o.rules);
  const configFile = join(o.dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig({ ...o, rulesFile }));
  const url = `http://127.0.0.1:${o.port}`;
  const proc = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(o.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${o.port}`,
      '--storage.tsdb.retention.time=1d',
      `--web.external-url=${url}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  for (const s of [proc.stdout!, proc.stderr!]) s.on('data', (b: Buffer) => output.push(...b.toString('utf8').split('\n').filter(Boolean)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const handle: LocalPrometheus = {
    url,
    proc,
    output,
    setTarget: (service, target) => writeTargets(o.dir, service, target),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = async () => {
      if (proc.exitCode !== null) return reject(new Error(`prometheus exited with ${proc.exitCode}:\n${output.slice(-20).join('\n')}`));
      try {
        if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok) return resolve(handle);
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        return reject(new Error(`prometheus was not ready within 30 s:\n${output.slice(-20).join('\n')}`));
      }
      setTimeout(() => void poll(), 200);
    };
    void poll();
  });
}
