import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const lifecycle = fileURLToPath(new URL('./lifecycle.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Runs runMain in a child process (it installs signal handlers and exits):
 * the service starts for `startMs`, stops for `stopMs`; SIGTERM is sent as
 * soon as runMain was called. Resolves with the exit code and the output.
 */
async function runAndTerminate(opts: {
  startMs: number;
  stopMs: number;
  timeoutMs: number;
}): Promise<{ code: number | null; signal: string | null; out: string }> {
  const script = join(mkdtempSync(join(tmpdir(), 'hub-lifecycle-')), 'main.mts');
  writeFileSync(
    script,
    `import { runMain } from ${JSON.stringify(lifecycle)};
const say = (s: string) => process.stdout.write(s + '\\n');
const running = runMain({ name: 't', shutdownTimeoutMs: () => ${opts.timeoutMs} }, async () => {
  await new Promise((r) => setTimeout(r, ${opts.startMs}));
  say('started');
  return { stop: async () => { await new Promise((r) => setTimeout(r, ${opts.stopMs})); say('stopped'); } };
});
say('handlers installed');
await running;
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('handlers installed') && !child.killed) child.kill('SIGTERM');
  });
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out })));
}

describe('runMain', () => {
  it('a SIGTERM while the service is still starting waits for the start, then stops it cleanly (exit 0)', async () => {
    const r = await runAndTerminate({ startMs: 700, stopMs: 10, timeoutMs: 10_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/started\s+stopped/);
  }, 30_000);

  it('exits 1 when the stop takes longer than the shutdown timeout', async () => {
    const t0 = Date.now();
    const r = await runAndTerminate({ startMs: 10, stopMs: 60_000, timeoutMs: 300 });
    expect(r.code).toBe(1);
    expect(r.out).not.toContain('stopped');
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, 30_000);
});
