import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServices } from '../../scripts/bundle-services';
import { freePort } from '../support/private-servers';
import { isolatedServiceEnv } from '../support/service-env';
import { REPO_ROOT } from '../support/stack-env';

// The container image runs dist/hub.mjs with plain node (no tsx) and asks
// dist/healthcheck.mjs for its HEALTHCHECK. No Docker engine here, so this
// runs the same files as the image's ENTRYPOINT and HEALTHCHECK do, against
// the real servers: a service bundled by scripts/bundle-services.ts starts,
// turns healthy, and on SIGTERM drains and exits 0.
describe('service bundles (the container image entry point)', () => {
  // Under the repository, so the bundles resolve node_modules as in /app.
  let dir: string;
  beforeAll(async () => {
    mkdirSync(join(REPO_ROOT, 'dist'), { recursive: true });
    dir = mkdtempSync(join(REPO_ROOT, 'dist', 'bundle-test-'));
    await bundleServices(dir);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start without a known service name', () => {
    const run = spawnSync(process.execPath, [join(dir, 'hub.mjs'), 'gateway'], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
    expect(run.status).toBe(64);
    expect(run.stderr).toMatch(/one of frontend, router, presence, files/);
  });

  it.each(['router', 'files'] as const)(
    '%s: runs under plain node, is healthy, drains on SIGTERM',
    async (service) => {
      const port = await freePort();
      const env = {
        ...isolatedServiceEnv({ NODE_ENV: 'production' }),
        PATH: process.env.PATH ?? '',
        [`${service.toUpperCase()}_PORT`]: String(port),
      };
      const proc = spawn(process.execPath, [join(dir, 'hub.mjs'), service], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const output: string[] = [];
      proc.stdout.on('data', (b: Buffer) => output.push(b.toString()));
      proc.stderr.on('data', (b: Buffer) => output.push(b.toString()));
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      try {
        const healthcheck = () =>
          spawnSync(process.execPath, [join(dir, 'healthcheck.mjs')], { env: { ...env, SERVICE: service }, encoding: 'utf8' }).status;
        const deadline = Date.now() + 45_000;
        let status = healthcheck();
        while (status !== 0 && Date.now() < deadline && proc.exitCode === null) {
          await new Promise((r) => setTimeout(r, 500));
          status = healthcheck();
        }
        expect(status, output.join('')).toBe(0);
      } finally {
        proc.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(output.join('')).toContain(`"msg":"${service} stopped"`);
    },
    90_000,
  );
});
