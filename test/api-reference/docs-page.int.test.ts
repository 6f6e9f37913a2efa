import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { pino } from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../scripts/gateway';
import { createFrontendApp } from '../../services/frontend/src/app';

const CHROMIUM = '/usr/bin/chromium';

/**
 * The reference at /docs through the local gateway, in a real browser: every
 * request the page makes is routed here and must go to 127.0.0.1 (no CDN,
 * no validator call), and Swagger UI renders the hub's operations.
 */
describe('/docs in Chromium (issue 19, acceptance)', () => {
  let frontend: ServerType;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let browser: Browser;

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is installed by scripts/ensure-chromium.sh`).toBe(true);
    const app = createFrontendApp({ logger: pino({ level: 'silent' }), registry: new Registry(), checks: [], isDraining: () => false });
    frontend = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    const upstream = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`;
    gateway = await startGateway({
      host: '127.0.0.1',
      port: 0,
      upstreams: { frontend: upstream, presence: upstream, files: upstream, router: upstream },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    frontend?.close();
  });

  async function open(path: string) {
    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      requested.push(url);
      return new URL(url).hostname === '127.0.0.1' ? route.continue() : route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${gateway.url}${path}`);
    return { page, requested, problems };
  }

  it('renders the REST reference with operations of every service, loading only from 127.0.0.1', async () => {
    const { page, requested, problems } = await open('/docs');
    await page.locator('.opblock-summary-path', { hasText: '/v1/presence/{username}' }).first().waitFor({ timeout: 20_000 });
    await expect(page.locator('.opblock-summary-path', { hasText: '/v1/files/initiate' }).count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('.opblock-summary-path', { hasText: '/v1/messages' }).count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('.opblock').count()).resolves.toBeGreaterThan(30);
    // "Try it": the operation opens with its Try-it-out button.
    await page.locator('.opblock-summary', { hasText: '/v1/presence/{username}' }).first().click();
    await page.locator('button.try-out__btn').first().waitFor({ timeout: 10_000 });
    expect(requested.some((u) => u.endsWith('/openapi.json'))).toBe(true);
    expect(requested.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
    // A blocked asset or script (CSP) would show up here.
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders the WebSocket protocol page from the AsyncAPI document', async () => {
    const { page, requested, problems } = await open('/docs/websocket');
    await expect(page.locator('#op-resume-receive').isVisible()).resolves.toBe(true);
    await expect(page.locator('#op-hello-send').isVisible()).resolves.toBe(true);
    await expect(page.getByText('4010').count()).resolves.toBeGreaterThan(0);
    expect(requested.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
