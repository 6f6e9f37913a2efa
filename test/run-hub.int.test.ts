import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/private-servers';
import { isolatedServiceEnv } from './support/service-env';
import { eventually, processExists as alive } from './support/spawn-service';
import { REPO_ROOT, STACK_KEYS } from './support/stack-env';

describe('npm start (scripts/run-hub.ts)', () => {
  it('brings every service up behind one base URL and Ctrl-C leaves no process running', async () => {
    const ports = { GATEWAY_PORT: await freePort(), FRONTEND_PORT: await freePort(), ROUTER_PORT: await freePort(), PRESENCE_PORT: await freePort(), FILES_PORT: await freePort() };
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...isolatedServiceEnv(), ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    // With the project's own stack, exercise the path a newcomer takes: the
    // run command finds (or starts) the stack itself and reads its settings.
    if (existsSync(join(REPO_ROOT, '.stack', 'env'))) for (const k of STACK_KEYS) delete env[k];
    delete env.JWT_SECRET;

    const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'run-hub.ts')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    proc.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => out.push(c));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

    try {
      await eventually(() => out.join('').includes('hub is up'), { what: `"hub is up"; output so far:\n${out.join('').slice(-3000)}`, timeoutMs: 150_000, intervalMs: 250 });
      const base = `http://127.0.0.1:${ports.GATEWAY_PORT}`;

      const ready = await fetch(`${base}/health/ready`);
      // One overall status through the public base URL; the details stay on the service ports.
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok' });

      // The gateway routes by path: files API to files, the rest to frontend.
      const filesRes = await fetch(`${base}/v1/files/does-not-exist-route/x`);
      expect(filesRes.headers.get('content-type')).toContain('application/problem+json');
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
