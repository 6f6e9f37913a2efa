import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portOpen } from './private-servers';
import { REPO_ROOT } from './stack-env';

export interface GatewayNginx {
  /** https://127.0.0.1:PORT, the API's base URL. */
  url: string;
  httpUrl: string;
  /** https://LISTEN of the object-storage server (S3_PUBLIC_ENDPOINT), when GATEWAY_OBJECTS_UPSTREAM was given. */
  objectsUrl?: string;
  /** The development CA that signed the gateway's certificate (PEM), for clients to trust. */
  ca: string;
  /** Lines nginx wrote (errors, access log). */
  output: string[];
  stop(): Promise<void>;
}

const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/**
 * Debian's nginx with deploy/gateway's configuration, rendered by its own
 * render.sh into a private prefix, on free ports of 127.0.0.1. Installs
 * nginx first if missing (scripts/ensure-nginx.sh; the package's own
 * service is kept from starting). `settings` are GATEWAY_* variables.
 */
export async function startGatewayNginx(settings: Record<string, string>): Promise<GatewayNginx> {
  const install = spawnSync('bash', [join(REPO_ROOT, 'scripts/ensure-nginx.sh')], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`nginx is not available: ${install.stderr}`);
  const certDir = join(REPO_ROOT, 'deploy/gateway/.certs');
  const cert = spawnSync('bash', [join(REPO_ROOT, 'deploy/gateway/dev-cert.sh'), certDir], { encoding: 'utf8' });
  if (cert.status !== 0) throw new Error(`dev-cert.sh failed: ${cert.stderr}`);

  const [https, http, ready] = await Promise.all([freePort(), freePort(), freePort()]);
  const prefix = mkdtempSync(join(tmpdir(), 'hub-gateway-'));
  // nginx's workers run as an unprivileged user and read the web client's files under the prefix.
  chmodSync(prefix, 0o755);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GATEWAY_SERVER_NAME: 'localhost',
    GATEWAY_HTTPS_LISTEN: `127.0.0.1:${https}`,
    GATEWAY_HTTP_LISTEN: `127.0.0.1:${http}`,
    GATEWAY_PUBLIC_URL: `https://localhost:${https}`,
    GATEWAY_READY_CHECK_LISTEN: `127.0.0.1:${ready}`,
    GATEWAY_TLS_CERT: join(certDir, 'server.crt'),
    GATEWAY_TLS_KEY: join(certDir, 'server.key'),
    GATEWAY_WORKER_PROCESSES: '1',
    GATEWAY_WORKER_CONNECTIONS: '1024',
    GATEWAY_ACCESS_LOG: 'off',
    ...settings,
  };
  const render = spawnSync('bash', [join(REPO_ROOT, 'deploy/gateway/render.sh'), prefix], { env, encoding: 'utf8' });
  if (render.status !== 0) throw new Error(`render.sh failed: ${render.stderr}`);
  const check = spawnSync(NGINX, ['-t', '-q', '-p', prefix, '-c', join(prefix, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the rendered configuration:\n${check.stderr}`);

  const proc = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const s of [proc.stdout, proc.stderr]) s.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(https))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start:\n${output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://127.0.0.1:${https}`,
    httpUrl: `http://127.0.0.1:${http}`,
    ...(env.GATEWAY_OBJECTS_UPSTREAM && env.GATEWAY_OBJECTS_LISTEN ? { objectsUrl: `https://${env.GATEWAY_OBJECTS_LISTEN}` } : {}),
    ca: readFileSync(join(certDir, 'ca.crt'), 'utf8'),
    output,
    stop: async () => {
      // SIGTERM: nginx's fast shutdown (open connections are closed).
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
