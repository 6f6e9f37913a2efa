import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../../../../test/support/private-servers';
import { REPO_ROOT } from '../../../../test/support/stack-env';

/**
 * Redis over TLS as docs/connections.md says to configure it: REDIS_URL
 * with rediss://, and a private CA given to Node with NODE_EXTRA_CA_CERTS
 * (read at process start, hence a child process per case). The server is a
 * private redis-server with a TLS-only port and the gateway's development
 * certificate.
 */
const certDir = join(REPO_ROOT, 'deploy/gateway/.certs');
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
let dir: string;
let script: string;

beforeAll(async () => {
  const made = spawnSync('bash', [join(REPO_ROOT, 'deploy/gateway/dev-cert.sh'), certDir], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
  redis = await startPrivateRedis({ tls: { certFile: join(certDir, 'server.crt'), keyFile: join(certDir, 'server.key') } });
  dir = mkdtempSync(join(tmpdir(), 'hub-redis-tls-'));
  script = join(dir, 'ping.mts');
  writeFileSync(
    script,
    [
      `import { createRedis } from ${JSON.stringify(join(REPO_ROOT, 'packages/platform/src/redis/redis.ts'))};`,
      'const r = createRedis({ url: process.env.REDIS_URL! });',
      "r.on('error', () => {});",
      "try { await r.set('tls-check', 'ok'); console.log('PING ' + (await r.ping()) + ' ' + (await r.get('tls-check'))); } catch (err) { console.log('FAILED ' + (err as Error).message); } finally { r.disconnect(); }",
    ].join('\n'),
  );
});
afterAll(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ping(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return `${r.stdout}${r.stderr}`.trim();
}

describe('Redis over TLS (rediss://)', () => {
  it('rediss:// with the private CA in NODE_EXTRA_CA_CERTS connects and round-trips', () => {
    expect(redis.url).toMatch(/^rediss:\/\//);
    expect(ping({ REDIS_URL: redis.url, NODE_EXTRA_CA_CERTS: join(certDir, 'ca.crt') })).toBe('PING PONG ok');
  });

  it('without the CA the certificate is not trusted: no connection', () => {
    expect(ping({ REDIS_URL: redis.url })).toMatch(/^FAILED/);
  });

  it('redis:// (plain) to the TLS port gets nowhere', () => {
    expect(ping({ REDIS_URL: redis.url.replace('rediss://', 'redis://'), NODE_EXTRA_CA_CERTS: join(certDir, 'ca.crt') })).toMatch(
      /^FAILED/,
    );
  });
});
