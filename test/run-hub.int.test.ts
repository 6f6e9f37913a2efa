import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/private-servers';
import { isolatedServiceEnv } from './support/service-env';
import { eventually, processExists as alive } from './support/spawn-service';
import { RawHttpClient } from './support/raw-http';
import { REPO_ROOT, stackEnv, STACK_KEYS } from './support/stack-env';

describe('npm start (scripts/run-hub.ts)', () => {
  it('brings every service up behind one base URL and Ctrl-C leaves no process running', async () => {
    // Read before the stack keys may be dropped below: the attack aims at these servers.
    const stack = stackEnv();
    const ports = {
      GATEWAY_PORT: await freePort(),
      FRONTEND_PORT: await freePort(),
      ROUTER_PORT: await freePort(),
      PRESENCE_PORT: await freePort(),
      FILES_PORT: await freePort(),
    };
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...isolatedServiceEnv(),
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    // With the project's own stack, exercise the path a newcomer takes: the
    // run command finds (or starts) the stack itself and reads its settings.
    if (existsSync(join(REPO_ROOT, '.stack', 'env'))) for (const k of STACK_KEYS) delete env[k];
    delete env.JWT_SECRET;

    const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'run-hub.ts')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: string[] = [];
    proc.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => out.push(c));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

    try {
      await eventually(() => out.join('').includes('hub is up'), {
        what: `"hub is up"; output so far:\n${out.join('').slice(-3000)}`,
        timeoutMs: 150_000,
        intervalMs: 250,
      });
      const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;

      const ready = await fetch(`${base}/health/ready`);
      // One overall status through the public base URL; the details stay on the service ports.
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok' });

      // The gateway routes by path: files API to files, the rest to frontend.
      const filesRes = await fetch(`${base}/v1/files/does-not-exist-route/x`);
      expect(filesRes.headers.get('content-type')).toContain('application/problem+json');
      // Issue 22, finding 1: the request line cannot aim the gateway at etcd, S3 or a service port.
      const aimedAt = [
        new URL(stack.ETCD_HOSTS!.split(',')[0]!).host,
        new URL(stack.S3_ENDPOINT!).host,
        `127.0.0.1:${ports.FRONTEND_PORT}`,
      ];
      for (const hostPort of aimedAt) {
        for (const target of [`http://${hostPort}/version`, `//${hostPort}/version`]) {
          const r = await rawGet(ports.GATEWAY_PORT, target);
          expect(r.status, target).toBe(400);
          expect(r.body, target).not.toMatch(/etcdserver|ListBucketResult|Error><Code>/);
        }
      }
      for (const target of ['/metrics', '/v1/files/../../metrics', '/v1/files/%2e%2e/%2e%2e/metrics']) {
        const r = await rawGet(ports.GATEWAY_PORT, target);
        expect(r.status, target).toBe(404);
        expect(r.body, target).not.toContain('http_request_duration_seconds');
      }
      const docs = await fetch(`${base}/docs`);
      expect(docs.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(docs.headers.get('x-content-type-options')).toBe('nosniff');

      const openapi = await fetch(`${base}/openapi.json`);
      expect(openapi.status).toBe(200);
      expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    } finally {
      proc.kill('SIGINT');
    }
    const code = await exited;
    const text = out.join('');
    expect(code, text.slice(-2000)).toBe(0);
    expect(text).toContain('hub: stopped.');
    const pids = [...text.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(4);
    await eventually(() => pids.every((pid) => !alive(pid)), { what: 'service processes to exit', timeoutMs: 10_000 });
    // Nothing listens on the hub's ports any more.
    for (const port of Object.values(ports)) {
      const refused = await fetch(`http://127.0.0.1:${port}/health/live`).then(
        () => false,
        () => true,
      );
      expect(refused, `port ${port} still answers`).toBe(true);
    }
  });
});

async function rawGet(port: number, target: string) {
  const c = await RawHttpClient.open(port);
  try {
    await c.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    return await c.response();
  } finally {
    c.close();
  }
}
