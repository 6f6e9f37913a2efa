/**
 * `npm start`: brings up the local stack and every service, serves the
 * whole API on one base URL through the local gateway, and stops it all on
 * Ctrl-C / SIGTERM. Settings: see README "Configuration"; every variable in
 * the environment is passed to the services.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type Upstreams } from './gateway';
import { SERVICE_NODE_FLAGS } from './node-flags';
import { prepareLocalObservability, type LocalObservability } from './observability/local-observability';
import { stopWithThisProcess } from './own-session';
import { parseEnvFile, REPO_ROOT } from '../test/support/stack-env';

const SERVICES = ['frontend', 'router', 'presence', 'files'] as const;
type Service = (typeof SERVICES)[number];
const DEFAULT_PORTS: Record<Service | 'gateway', number> = { gateway: 8080, frontend: 8081, router: 8082, presence: 8083, files: 8084 };

const stackDir = process.env.HUB_STACK_DIR ?? join(REPO_ROOT, '.stack');
const host = process.env.GATEWAY_HOST ?? '127.0.0.1';
const portOf = (name: Service | 'gateway') => Number(process.env[`${name.toUpperCase()}_PORT`] ?? DEFAULT_PORTS[name]);
const say = (msg: string) => process.stdout.write(`hub: ${msg}\n`);

const children = new Map<Service, ChildProcess>();
let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
let startedStack = false;
let stopping = false;
let observability: LocalObservability | undefined;

async function main(): Promise<void> {
  // Opt-in: Prometheus and Jaeger beside the hub (README "Observability").
  if (process.env.HUB_OBSERVABILITY === '1') observability = prepareLocalObservability({ repoRoot: REPO_ROOT, stackDir, say });
  const stackGiven = Boolean(
    process.env.KAFKA_BROKERS && process.env.MONGO_URL && process.env.ETCD_HOSTS && process.env.REDIS_URL && process.env.S3_ENDPOINT,
  );
  let stackEnv: Record<string, string> = {};
  if (stackGiven) {
    say('using the servers given in the environment');
  } else {
    startedStack = spawnSync('bash', [join(REPO_ROOT, 'deploy/local/stack.sh'), 'status'], { stdio: 'ignore' }).status !== 0;
    say(startedStack ? 'starting the local stack…' : 'local stack already running');
    const up = spawnSync('bash', [join(REPO_ROOT, 'deploy/local/stack.sh'), 'up'], { stdio: 'inherit' });
    if (up.status !== 0) throw new Error('the local stack did not start (see above); fix it, then run npm start again');
    stackEnv = parseEnvFile(join(stackDir, 'env'));
  }
  const secrets = devSecrets();
  mkdirSync(join(stackDir, 'logs'), { recursive: true });

  for (const svc of SERVICES) {
    const env: Record<string, string> = {
      // The services listen on 127.0.0.1 behind the gateway, which overwrites
      // X-Forwarded-For: without this every caller would be 127.0.0.1 to the
      // per-address login limits, and one guesser would lock everyone out.
      TRUST_PROXY: 'true',
      ...secrets,
      ...stackEnv,
      ...(observability?.serviceEnv ?? {}),
      ...(process.env as Record<string, string>),
      [`${svc.toUpperCase()}_HOST`]: '127.0.0.1',
      [`${svc.toUpperCase()}_PORT`]: String(portOf(svc)),
    };
    const child = spawn(
      process.execPath,
      [...SERVICE_NODE_FLAGS[svc], '--import', 'tsx', join(REPO_ROOT, 'services', svc, 'src', 'main.ts')],
      {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // A CPU share of its own, as a container has (see scripts/own-session.ts); shutdown() stops it.
        detached: true,
      },
    );
    stopWithThisProcess(child);
    children.set(svc, child);
    const logFile = join(stackDir, 'logs', `${svc}.log`);
    writeFileSync(logFile, '');
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      let buf = '';
      stream.on('data', (chunk: string) => {
        appendFileSync(logFile, chunk);
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          printLine(svc, buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    child.once('exit', (code, signal) => {
      if (stopping) return;
      say(`${svc} exited unexpectedly (${signal ?? `code ${code}`}); its log: ${logFile}. Stopping the hub.`);
      void shutdown(1);
    });
  }

  const upstreams = Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${portOf(s)}`])) as unknown as Upstreams;
  say('waiting for every service to be ready…');
  for (const svc of SERVICES) await waitReady(svc, upstreams[svc]);
  gateway = await startGateway({ host, port: portOf('gateway'), upstreams, webRoot: join(REPO_ROOT, 'web', 'dist') });
  const observabilityLines = observability ? await observability.start({ ...upstreams }) : [];

  const rows = [
    ['gateway (API base URL)', gateway.url, `${gateway.url}/health/ready`],
    ...SERVICES.map((s) => [s, upstreams[s], `pid ${children.get(s)?.pid}`]),
  ];
  process.stdout.write('\n');
  for (const [name, url, extra] of rows) process.stdout.write(`  ${name!.padEnd(24)} ${url!.padEnd(26)} ${extra}\n`);
  process.stdout.write(`\n  Web client    ${gateway.url}/\n`);
  process.stdout.write(`  REST API      ${gateway.url}/v1   (OpenAPI: ${gateway.url}/openapi.json, docs: ${gateway.url}/docs)\n`);
  process.stdout.write(`  WebSocket     ${gateway.url.replace('http', 'ws')}/v1/ws\n`);
  process.stdout.write(`  Admin client  ${secrets.ADMIN_CLIENT_ID} (secret in ${join(stackDir, 'dev-secrets.env')})\n`);
  process.stdout.write(`  Logs          ${join(stackDir, 'logs')}/<service>.log\n`);
  for (const line of observabilityLines) process.stdout.write(`${line}\n`);
  process.stdout.write('\n');
  say('hub is up. Press Ctrl-C to stop.');
}

/** Development secrets, generated once and kept in the git-ignored stack folder so tokens survive restarts. */
function devSecrets(): Record<string, string> {
  const file = join(stackDir, 'dev-secrets.env');
  const generators: Record<string, () => string> = {
    JWT_SECRET: () => randomBytes(48).toString('base64url'),
    ADMIN_CLIENT_ID: () => 'admin',
    ADMIN_CLIENT_SECRET: () => randomBytes(24).toString('base64url'),
    TELEGRAM_WEBHOOK_SECRET: () => randomBytes(24).toString('base64url'),
    WEBHOOK_SECRETS_KEY: () => randomBytes(32).toString('base64'),
  };
  mkdirSync(stackDir, { recursive: true });
  const present = existsSync(file) ? parseEnvFile(file) : {};
  // A file from an older checkout gets the settings added since, and keeps the rest (tokens stay valid).
  const missing = Object.keys(generators).filter((k) => !present[k]);
  if (missing.length > 0) {
    if (!existsSync(file)) writeFileSync(file, '', { mode: 0o600 });
    appendFileSync(file, missing.map((k) => `${k}=${generators[k]!()}\n`).join(''));
  }
  return parseEnvFile(file);
}

async function waitReady(svc: Service, url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (stopping) return;
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) {
        say(`${svc} ready`);
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${svc} was not ready within 120 s; see ${join(stackDir, 'logs', `${svc}.log`)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function printLine(svc: Service, line: string): void {
  if (!line.trim()) return;
  let text = line;
  try {
    const rec = JSON.parse(line) as Record<string, unknown>;
    const { level, msg, time: _t, service: _s, pid: _p, hostname: _h, ...rest } = rec;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    text = `${String(level ?? '').padEnd(5)} ${String(msg ?? '')}${extra.length > 300 ? `${extra.slice(0, 300)}…` : extra}`;
  } catch {
    // plain text (stderr): print as is
  }
  process.stdout.write(`[${svc.padEnd(8)}] ${text}\n`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await gateway?.close();
  await observability?.stop();
  await Promise.all(
    [...children.entries()].map(
      ([svc, child]) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            say(`${svc} did not stop within 20 s; killing it`);
            child.kill('SIGKILL');
          }, 20_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  if (startedStack) {
    say('stopping the local stack (it was started by npm start)…');
    spawnSync('bash', [join(REPO_ROOT, 'deploy/local/stack.sh'), 'down'], { stdio: 'inherit' });
  }
  say('stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((err: Error) => {
  process.stderr.write(`hub: ${err.message}\n`);
  void shutdown(1);
});
