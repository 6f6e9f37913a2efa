import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createFrontendApp } from '../app';
import { DOCS_HTML } from './docs-page';

describe('the API reference pages and assets', () => {
  const app = createFrontendApp({ logger: pino({ level: 'silent' }), registry: new Registry(), checks: [], isDraining: () => false });
  const directives = (csp: string) =>
    Object.fromEntries(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );

  it('/docs allows only this origin: no inline script or style, no framing', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    const d = directives(res.headers.get('content-security-policy') ?? '');
    expect(d['default-src']).toEqual(["'none'"]);
    expect(d['script-src']).toEqual(["'self'"]);
    expect(d['style-src']).toEqual(["'self'"]);
    expect(d['connect-src']).toEqual(["'self'"]);
    expect(d['frame-ancestors']).toEqual(["'none'"]);
    expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-|https?:/);
    // Every asset the page loads is a same-origin path, and there is no inline script, style or handler.
    for (const [, url] of DOCS_HTML.matchAll(/\s(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^\/[a-z]/);
    expect(DOCS_HTML).not.toMatch(/<script>|<style|\son\w+=|\sstyle=/);
  });

  it('serves the renderer from node_modules with the right content types, and nothing else from there', async () => {
    const js = await app.request('/docs/assets/swagger-ui-bundle.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await js.text()).length).toBeGreaterThan(100_000);
    const css = await app.request('/docs/assets/swagger-ui.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await app.request('/docs/assets/docs-init.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    for (const other of ['package.json', 'index.html', '..%2Fpackage.json', 'swagger-ui-bundle.js.map'])
      expect((await app.request(`/docs/assets/${other}`)).status).toBe(404);
  });

  it('serves the hub documents and its own', async () => {
    const hub = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(hub.paths).toHaveProperty(['/v1/presence/{username}']);
    expect(hub.paths).toHaveProperty(['/v1/files/initiate']);
    const own = (await (await app.request('/openapi/frontend.json')).json()) as { paths: Record<string, unknown> };
    expect(own.paths).not.toHaveProperty(['/v1/files/initiate']);
    const asyncapi = (await (await app.request('/asyncapi.json')).json()) as { asyncapi: string };
    expect(asyncapi.asyncapi).toBe('3.0.0');
    const ws = await app.request('/docs/websocket');
    expect(ws.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await ws.text()).toContain('resume');
  });
});
