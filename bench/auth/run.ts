/**
 * Requests per second of an authenticated no-op request (GET /v1/auth/me:
 * JWT verification, revocation check in Redis for users / cached client
 * lookup for API clients, Redis rate-limit counter) on a real frontend
 * against the local stack, next to a bare Hono route and the service
 * shell's /health/live, all measured with wrk on 127.0.0.1 in one run.
 *
 *   node --import tsx bench/auth/run.ts        (BENCH_DURATION_S=10, BENCH_CONNECTIONS=32)
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEnvFile, REPO_ROOT, STACK_KEYS } from '../../test/support/stack-env';

const run = promisify(execFile);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const say = (line: string) => process.stdout.write(`bench/auth: ${line}\n`);

interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
  non2xx: number;
  requests: number;
}

async function wrk(url: string, headers: Record<string, string> = {}, seconds = DURATION_S): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '--latency',
    '--timeout',
    '5s',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    url,
  ];
  const { stdout } = await run('wrk', args, { timeout: (seconds + 30) * 1000 });
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: /50%\s+(\S+)/.exec(stdout)?.[1] ?? '?',
    p99: /99%\s+(\S+)/.exec(stdout)?.[1] ?? '?',
    non2xx: num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0,
    requests: num(/(\d+) requests in/),
  };
}

async function startBare(): Promise<{ url: string; stop(): void }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench/auth/bare-server.ts')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bare server did not start')), 30_000);
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const m = /"port":(\d+)/.exec(chunk);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.kill('SIGTERM') };
}

async function main(): Promise<void> {
  if (
    !(await run('which', ['wrk']).then(
      () => true,
      () => false,
    ))
  )
    throw new Error('wrk is not installed (apt-get install wrk)');
  // Stack settings from the environment, else from the local stack's file.
  const stackFile = join(REPO_ROOT, '.stack', 'env');
  if (!STACK_KEYS.every((k) => process.env[k])) {
    if (!existsSync(stackFile))
      throw new Error('no stack settings: run `npm run stack:up` first (or set KAFKA_BROKERS, MONGO_URL, ETCD_HOSTS, REDIS_URL, S3_*)');
    Object.assign(process.env, parseEnvFile(stackFile));
  }
  const { startTestFrontend, registerAndLogin, adminToken, createApiClient } = await import('../../test/support/identity');

  say(
    `starting a frontend on the local stack and a bare Hono server (wrk: 1 thread, ${CONNECTIONS} connections, ${DURATION_S} s per case)`,
  );
  // A limit no run reaches, so every request pays for the counter but none is refused.
  const t = await startTestFrontend({ RATE_LIMIT_PER_MIN: '1000000000' });
  const bare = await startBare();
  const results: Array<[string, WrkResult]> = [];
  try {
    const user = await registerAndLogin(t.url);
    const client = await createApiClient(t.url, await adminToken(t.url, t.env), ['messages:send']);
    const cases: Array<[string, string, Record<string, string>]> = [
      ['bare Hono route (no middleware)', `${bare.url}/noop`, {}],
      ['frontend /health/live (service shell)', `${t.url}/health/live`, {}],
      ['GET /v1/auth/me, user token', `${t.url}/v1/auth/me`, { authorization: `Bearer ${user.accessToken}` }],
      ['GET /v1/auth/me, API client token', `${t.url}/v1/auth/me`, { authorization: `Bearer ${client.accessToken}` }],
    ];
    for (const [name, url, headers] of cases) {
      say(`warming up: ${name}`);
      await wrk(url, headers, 2);
      say(`measuring: ${name} …`);
      const r = await wrk(url, headers);
      say(`  ${r.rps.toFixed(0)} req/s, p50 ${r.p50}, p99 ${r.p99}${r.non2xx ? `, ${r.non2xx} non-2xx responses (!)` : ''}`);
      results.push([name, r]);
    }
  } finally {
    bare.stop();
    await t.stop();
  }

  const base = results[0]![1].rps;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  process.stdout.write(
    `\nSummary (${new Date().toISOString()}, ${CONNECTIONS} connections, ${DURATION_S} s each, 127.0.0.1, ${cpus().length} cores shared with the stack; load average 1/5/15 min: ${load}):\n`,
  );
  process.stdout.write(`  ${'case'.padEnd(40)} ${'req/s'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)}  vs bare\n`);
  for (const [name, r] of results) {
    process.stdout.write(
      `  ${name.padEnd(40)} ${r.rps.toFixed(0).padStart(8)} ${r.p50.padStart(9)} ${r.p99.padStart(9)}  ${((r.rps / base) * 100).toFixed(0)}%${r.non2xx ? `  (${r.non2xx} non-2xx!)` : ''}\n`,
    );
  }
  if (results.some(([, r]) => r.non2xx > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/auth failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
