import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../../../test/support/webhook-receiver';
import type { VettedTarget } from '../ssrf/url-policy';
import { pinnedPost, WebhookRequestError } from './pinned-post';

const open: WebhookReceiver[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

async function receiver(host?: string, reply?: WebhookReceiver['reply']): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(host, reply);
  open.push(r);
  return r;
}

function target(url: string, address: string): VettedTarget {
  const u = new URL(url);
  return { url: u, hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'), address: { address, family: address.includes(':') ? 6 : 4 } };
}

const base = { headers: { 'content-type': 'application/json' }, body: '{"n":1}', timeoutMs: 2_000, maxResponseBytes: 64 };

describe('pinnedPost (real sockets on loopback)', () => {
  it('connects to the vetted address without resolving the name, and sends the name as Host', async () => {
    const r = await receiver();
    // No resolver knows this name: the request can only arrive through the pinned address.
    const res = await pinnedPost({ ...base, target: target(`http://hooks.invalid-name.test:${r.port}/in?x=1`, '127.0.0.1') });
    expect(res.status).toBe(200);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]).toMatchObject({ method: 'POST', path: '/in?x=1', body: '{"n":1}' });
    expect(r.calls[0]!.headers.host).toBe(`hooks.invalid-name.test:${r.port}`);
  });

  it('does not follow a redirect', async () => {
    const elsewhere = await receiver('127.0.0.2');
    const r = await receiver('127.0.0.1', () => ({ status: 302, headers: { location: `${elsewhere.url}/stolen` } }));
    const res = await pinnedPost({ ...base, target: target(`${r.url}/hook`, '127.0.0.1') });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`${elsewhere.url}/stolen`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(elsewhere.calls).toHaveLength(0);
  });

  it('reads no more than the response limit', async () => {
    const r = await receiver('127.0.0.1', () => ({ status: 500, body: 'x'.repeat(1_000_000) }));
    const res = await pinnedPost({ ...base, target: target(`${r.url}/`, '127.0.0.1') });
    expect(res.status).toBe(500);
    expect(res.body).toBe('x'.repeat(64));
    expect(res.truncated).toBe(true);
  });

  it('gives up on a receiver that never answers at the deadline', async () => {
    const r = await receiver('127.0.0.1', () => 'hang');
    const started = Date.now();
    const err = await pinnedPost({ ...base, timeoutMs: 300, target: target(`${r.url}/`, '127.0.0.1') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookRequestError);
    expect((err as WebhookRequestError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection as a network error', async () => {
    const r = await receiver();
    const port = r.port;
    await r.close();
    open.splice(0);
    const err = await pinnedPost({ ...base, target: target(`http://127.0.0.1:${port}/`, '127.0.0.1') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookRequestError);
    expect((err as WebhookRequestError).kind).toBe('network');
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('stops at once when aborted (shutdown)', async () => {
    const r = await receiver('127.0.0.1', () => 'hang');
    const ac = new AbortController();
    const pending = pinnedPost({ ...base, timeoutMs: 10_000, target: target(`${r.url}/`, '127.0.0.1'), signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    ac.abort();
    const err = await pending;
    expect((err as WebhookRequestError).kind).toBe('aborted');
  });

  it('talks to an IPv6 loopback receiver through its pinned address', async () => {
    const r = await receiver('::1');
    const res = await pinnedPost({ ...base, target: target(`http://v6.invalid-name.test:${r.port}/`, '::1') });
    expect(res.status).toBe(200);
    expect(r.calls).toHaveLength(1);
  });
});
