import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../scripts/gateway';
import { cleanupTestEnv, testFrontendEnv } from '../support/identity';
import { spawnService, type ServiceProcess } from '../support/spawn-service';
import { REPO_ROOT } from '../support/stack-env';

/**
 * The web client (issue 16) in a real browser: Debian's Chromium driven by
 * playwright-core, against the hub's real processes behind the local
 * gateway, which serves the built client (web/dist, scripts/build-web.sh).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let env: Record<string, string>;
const services: ServiceProcess[] = [];
let gateway: Awaited<ReturnType<typeof startGateway>>;
let base: string;
let browser: Browser;

beforeAll(async () => {
  env = testFrontendEnv({ TRUST_PROXY: 'true', RATE_LIMIT_PER_MIN: '1000000' });
  const start = { timeoutMs: 150_000 };
  const [frontend, router, presence, files] = await Promise.all([
    spawnService('frontend', env, start),
    spawnService('router', env, start),
    spawnService('presence', env, start),
    spawnService('files', env, start),
  ]);
  services.push(frontend!, router!, presence!, files!);
  gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    upstreams: { frontend: frontend!.url, router: router!.url, presence: presence!.url, files: files!.url },
    webRoot: join(REPO_ROOT, 'web', 'dist'),
  });
  base = gateway.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await Promise.allSettled(services.map((s) => s.stop('SIGKILL')));
  if (env) await cleanupTestEnv(env);
});

async function person(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(base);
  return { context, page, errors };
}

async function register(page: Page, username: string, password = 'correct horse battery'): Promise<void> {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByText(`Logged in as ${username}`).waitFor();
}

/** axe-core in the page (evaluated through the debugging protocol, which the page's CSP does not govern). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(`${AXE}\n;undefined`);
  const result = (await page.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as {
    violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

function texts(page: Page): Promise<string[]> {
  return page.locator('.messages .msg .text').allTextContents();
}

describe('web client served by the gateway', () => {
  it('serves the built client at / with a self-only CSP, SPA fallback and cache rules, and leaves the API alone', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
    const html = await index.text();
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${base}${script}`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    // An app route without a file falls back to the page; a missing asset does not.
    const route = await fetch(`${base}/conversations/abc`);
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(html);
    expect((await fetch(`${base}/assets/missing-12345678.js`)).status).toBe(404);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    // The API keeps its paths: a missing API route is the API's problem+json, never the page.
    const api = await fetch(`${base}/v1/nothing-here`);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${base}/openapi.json`)).headers.get('content-type')).toContain('application/json');
  });

  it('two people chat live with ticks turning to read, messages sent while one is offline arrive once and in order, and markup stays inert', async () => {
    const alice = await person();
    const bob = await person();
    const a = `alice-${Date.now().toString(36)}`;
    const b = `bob-${Date.now().toString(36)}`;

    // Login screen: accessible, and refusals explain themselves.
    expect(await seriousViolations(alice.page)).toEqual([]);
    await register(alice.page, a);
    await register(bob.page, b);
    await bob.page.getByRole('button', { name: 'Log out' }).click();
    await bob.page.getByRole('button', { name: 'Create an account' }).click();
    await bob.page.getByLabel('Username').fill(b);
    await bob.page.getByLabel('Password').fill('another password');
    await bob.page.getByRole('button', { name: 'Create an account' }).click();
    await expect.poll(() => bob.page.getByRole('alert').textContent()).toMatch(/taken|exists|already/i);
    await bob.page.getByRole('button', { name: 'Log in instead' }).click();
    await bob.page.getByLabel('Username').fill(b);
    await bob.page.getByLabel('Password').fill('correct horse battery');
    await bob.page.getByRole('button', { name: 'Log in', exact: true }).click();
    await bob.page.getByText(`Logged in as ${b}`).waitFor();

    // Alice starts a direct conversation with Bob and writes.
    await alice.page.getByLabel('Start a conversation with').fill(b);
    await alice.page.getByRole('button', { name: 'Start' }).click();
    await alice.page.getByRole('heading', { name: b }).waitFor();
    await alice.page.getByRole('textbox', { name: 'Message' }).fill('hello bob');
    await alice.page.keyboard.press('Enter');
    await alice.page.locator('.msg.mine .tick[data-tick="sent"], .msg.mine .tick[data-tick="delivered"]').first().waitFor();

    // Bob sees it live in his list, with an unread count, and opens it.
    const bobItem = bob.page.locator('.conv', { hasText: a });
    await bobItem.locator('.badge').waitFor();
    await expect.poll(() => bobItem.locator('.conv-preview').textContent()).toContain('hello bob');
    await bobItem.click();
    await bob.page.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => texts(bob.page)).toEqual(['hello bob']);
    // Bob has read it: Alice's tick turns to read.
    await alice.page.locator('.msg.mine .tick[data-tick="read"]').waitFor({ timeout: 20_000 });
    // Bob replies; Alice gets it live.
    await bob.page.getByRole('textbox', { name: 'Message' }).fill('hi alice');
    await bob.page.keyboard.press('Enter');
    await expect.poll(() => texts(alice.page), { timeout: 20_000 }).toEqual(['hello bob', 'hi alice']);
    expect(await seriousViolations(alice.page)).toEqual([]);

    // Markup and script URLs in a message render as text.
    const hostile = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> javascript:window.__pwned=3 <a href="javascript:window.__pwned=4">x</a> see https://example.com/ok`;
    await alice.page.getByRole('textbox', { name: 'Message' }).fill(hostile);
    await alice.page.keyboard.press('Enter');
    await expect.poll(() => texts(bob.page), { timeout: 20_000 }).toContain(hostile);
    const last = bob.page.locator('.messages .msg').last();
    expect(await last.locator('script, img').count()).toBe(0);
    expect(await bob.page.locator('a[href^="javascript:" i]').count()).toBe(0);
    expect(await last.locator('a').evaluateAll((els) => els.map((e) => (e as unknown as { href: string }).href))).toEqual([
      'https://example.com/ok',
    ]);
    expect(await bob.page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // Bob goes offline; Alice sends 20; Bob comes back and has each once, in order.
    await bob.context.setOffline(true);
    await bob.page.getByTestId('offline-banner').waitFor();
    const burst = Array.from({ length: 20 }, (_, i) => `burst ${i + 1}`);
    for (const text of burst) {
      await alice.page.getByRole('textbox', { name: 'Message' }).fill(text);
      await alice.page.keyboard.press('Enter');
    }
    await expect.poll(() => alice.page.locator('.msg.mine .tick[data-tick="pending"]').count(), { timeout: 20_000 }).toBe(0);
    await bob.context.setOffline(false);
    await expect.poll(async () => (await texts(bob.page)).filter((t) => t.startsWith('burst ')), { timeout: 60_000 }).toEqual(burst);
    await bob.page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 30_000 });
    const all = await texts(bob.page);
    expect(new Set(all).size).toBe(all.length);
    expect(await seriousViolations(bob.page)).toEqual([]);

    // A reload keeps the session and shows the same history, once.
    await bob.page.reload();
    await bob.page.getByText(`Logged in as ${b}`).waitFor();
    await bob.page.locator('.conv', { hasText: a }).click();
    await expect.poll(async () => (await texts(bob.page)).filter((t) => t.startsWith('burst ')), { timeout: 20_000 }).toEqual(burst);

    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
    await alice.context.close();
    await bob.context.close();
  }, 180_000);
});
