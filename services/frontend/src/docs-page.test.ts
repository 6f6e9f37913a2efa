import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createFrontendApp } from './app';
import { DOCS_HTML } from './docs-page';

describe('/docs Content-Security-Policy (issue 22, finding 7)', () => {
  const app = createFrontendApp({ logger: pino({ level: 'silent' }), registry: new Registry(), checks: [], isDraining: () => false });

  it('allows exactly the page\'s own inline script and style (by hash), fetches to this origin, and no framing', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    const hash = (tag: string) => {
      const body = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(DOCS_HTML)![1]!;
      return `'sha256-${createHash('sha256').update(body).digest('base64')}'`;
    };
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual([hash('script')]);
    expect(directives['style-src']).toEqual([hash('style')]);
    // The page fetches /openapi.json from its own origin.
    expect(DOCS_HTML).toContain("fetch('/openapi.json')");
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toContain('unsafe-inline');
    // One inline script and one inline style, no external assets and no inline handlers or style attributes.
    expect(DOCS_HTML.match(/<script\b/g)).toHaveLength(1);
    expect(DOCS_HTML.match(/<style\b/g)).toHaveLength(1);
    expect(DOCS_HTML).not.toMatch(/\s(src|href)=|\son\w+=|\sstyle=/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the API document itself is served with the shared headers', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
