/**
 * Figures for the web client (issue 16): JavaScript shipped for the first
 * load (gzip), and the time from navigation to an interactive conversation
 * list on the local stack; also saves screenshots (desktop and phone) under
 * docs/screenshots. Starts the hub's processes and the local gateway itself.
 * Usage (stack env exported): node --import tsx bench/web/run.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { startGateway } from '../../scripts/gateway';
import { cleanupTestEnv, testFrontendEnv } from '../../test/support/identity';
import { spawnService } from '../../test/support/spawn-service';
import { REPO_ROOT } from '../../test/support/stack-env';

const dist = join(REPO_ROOT, 'web', 'dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
const gz = (f: string) => gzipSync(readFileSync(join(dist, f))).length;
const jsGzip = assets.filter((a) => a.endsWith('.js')).reduce((n, a) => n + gz(a), 0);
const cssGzip = assets.filter((a) => a.endsWith('.css')).reduce((n, a) => n + gz(a), 0);

const env = testFrontendEnv({ TRUST_PROXY: 'true', RATE_LIMIT_PER_MIN: '1000000' });
const procs = await Promise.all(
  (['frontend', 'router', 'presence', 'files'] as const).map((s) => spawnService(s, env, { timeoutMs: 150_000 })),
);
const [frontend, router, presence, files] = procs;
const gateway = await startGateway({
  host: '127.0.0.1',
  port: 0,
  upstreams: { frontend: frontend!.url, router: router!.url, presence: presence!.url, files: files!.url },
  webRoot: dist,
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const page = await ctx.newPage();
  await page.goto(gateway.url);
  await page.screenshot({ path: join(REPO_ROOT, 'docs/screenshots/login-desktop.png') });
  const users = ['ada', 'grace', 'linus'].map((u) => `${u}${Date.now().toString(36).slice(-4)}`);
  for (const u of users.slice(1)) {
    const r = await fetch(`${gateway.url}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u, password: 'correct horse battery' }),
    });
    if (!r.ok) throw new Error(`register ${u}: ${r.status}`);
  }
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(users[0]!);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create an account' }).click();
  for (const other of users.slice(1)) {
    await page.getByLabel('Start a conversation with').fill(other);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { name: other }).waitFor();
    for (const text of ['Hi! The notes are at https://example.com/notes', 'See you at 3']) {
      await page.getByRole('textbox', { name: 'Message' }).fill(text);
      await page.keyboard.press('Enter');
    }
  }
  await page.locator('.msg.mine .tick[data-tick="sent"]').last().waitFor();
  await page.screenshot({ path: join(REPO_ROOT, 'docs/screenshots/chat-desktop.png') });

  // Navigation to an interactive conversation list (logged in, list rendered with its entries).
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    await page.goto(gateway.url);
    await page
      .locator('.conv')
      .nth(users.length - 2)
      .waitFor();
    times.push(Date.now() - t0);
  }
  times.sort((a, b) => a - b);

  const phone = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true, storageState: await ctx.storageState() });
  const p2 = await phone.newPage();
  await p2.goto(gateway.url);
  await p2.locator('.conv').first().waitFor();
  await p2.screenshot({ path: join(REPO_ROOT, 'docs/screenshots/list-phone.png') });
  await p2.locator('.conv').first().click();
  await p2.locator('.msg').first().waitFor();
  await p2.screenshot({ path: join(REPO_ROOT, 'docs/screenshots/chat-phone.png') });

  console.log(
    `web client: first-load JS ${(jsGzip / 1024).toFixed(1)} KiB gzip (target ≤ 150), CSS ${(cssGzip / 1024).toFixed(1)} KiB gzip`,
  );
  console.log(
    `web client: navigation → interactive conversation list: median ${times[2]} ms, min ${times[0]} ms, max ${times[4]} ms (5 loads, local stack)`,
  );
} finally {
  await browser.close();
  await gateway.close();
  await Promise.allSettled(procs.map((p) => p.stop('SIGKILL')));
  await cleanupTestEnv(env);
}
