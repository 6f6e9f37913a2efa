import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Socket } from 'node:net';

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway Redis owned by one test, so the test can stop it to prove a
 * readiness check without disturbing the shared stack other tests use.
 */
export async function startPrivateRedis(
  opts: { tls?: { certFile: string; keyFile: string } } = {},
): Promise<{ url: string; stop(): Promise<void>; proc: ChildProcess }> {
  const port = await freePort();
  // With tls: TLS only (the plain port off), clients not asked for certificates.
  const listen = opts.tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        opts.tls.certFile,
        '--tls-key-file',
        opts.tls.keyFile,
        '--tls-auth-clients',
        'no',
      ]
    : ['--port', String(port)];
  const proc = spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `${opts.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
  await waitForPort(port, 'private redis-server', 10_000);
  return {
    url,
    proc,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

async function waitForPort(port: number, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not start listening on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A throwaway S3 server (versitygw from the stack's cache) owned by one test. */
export async function startPrivateS3(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir, homedir } = await import('node:os');
  const { join } = await import('node:path');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hub-s3-'));
  const bin = join(process.env.HUB_CACHE_DIR ?? join(homedir(), '.cache', 'messaging-hub'), 'bin', 'versitygw');
  const proc = spawn(
    bin,
    [
      '--access',
      process.env.S3_ACCESS_KEY ?? 'hubadmin',
      '--secret',
      process.env.S3_SECRET_KEY ?? 'hubadmin-secret-key',
      '--port',
      `127.0.0.1:${port}`,
      'posix',
      dir,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await waitForPort(port, 'private versitygw');
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
