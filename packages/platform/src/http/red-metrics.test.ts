import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, Counter, idLikeLabels, idLikeLabelValue } from '../metrics';
import { createServiceApp } from './app';
import { ProblemError } from './problem';

function app() {
  const registry = createMetricsRegistry('red-test');
  const a = createServiceApp({ service: 'red-test', logger: pino({ level: 'silent' }), registry, checks: [] });
  const v1 = new Hono();
  v1.get('/messages/:id', (c) => c.json({ id: c.req.param('id') }));
  v1.post('/messages', () => {
    throw new Error('boom');
  });
  v1.get('/users/:name', () => {
    throw new ProblemError('not_found', 'no such user');
  });
  a.route('/v1', v1);
  return { a, registry };
}

async function series(registry: ReturnType<typeof createMetricsRegistry>, name: string): Promise<Array<Record<string, string | number>>> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).map((v) => ({ ...(v.labels as Record<string, string>), value: v.value }));
}

describe('RED metrics per route (issue 17, item 3)', () => {
  it('counts requests by route template, method and status class, never by raw path', async () => {
    const { a, registry } = app();
    const ids = ['0b7f5c1e-3c55-4d8e-9a57-2f1c8f1e0a11', '5a9e7e1c-6f0b-4a63-8d3c-1a2b3c4d5e6f'];
    for (const id of ids) expect((await a.request(`/v1/messages/${id}`)).status).toBe(200);
    expect((await a.request('/v1/messages', { method: 'POST' })).status).toBe(500);
    expect((await a.request('/v1/users/alice-1234567')).status).toBe(404);
    expect((await a.request(`/no/such/path/${ids[0]}`)).status).toBe(404);
    expect((await a.request('/v1/messages/x', { method: 'PROPFIND' })).status).toBe(404);

    const requests = await series(registry, 'http_requests_total');
    expect(requests).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'GET', route: '/v1/messages/:id', status_class: '2xx', value: 2 }),
        expect.objectContaining({ method: 'POST', route: '/v1/messages', status_class: '5xx', value: 1 }),
        expect.objectContaining({ method: 'GET', route: '/v1/users/:name', status_class: '4xx', value: 1 }),
        expect.objectContaining({ method: 'GET', route: 'unmatched', status_class: '4xx', value: 1 }),
        expect.objectContaining({ method: 'other', route: 'unmatched', status_class: '4xx', value: 1 }),
      ]),
    );
    const durations = await series(registry, 'http_request_duration_seconds');
    expect(durations.some((d) => d.route === '/v1/messages/:id' && d.status_class === '2xx')).toBe(true);
    // Default process metrics include event-loop lag.
    expect((await registry.getMetricsAsJSON()).map((m) => m.name)).toContain('nodejs_eventloop_lag_p99_seconds');
    expect(await idLikeLabels(registry)).toEqual([]);
  });
});

describe('label cardinality guard', () => {
  it('flags label values that look like ids', () => {
    for (const v of [
      '0b7f5c1e-3c55-4d8e-9a57-2f1c8f1e0a11',
      '01HZY3Q6W3K3B6N7V8X9Y0Z1AB',
      'deadbeefdeadbeef00',
      '1234567',
      'alice@example.com',
      '65f1a2b3c4d5e6f7a8b9c0d1',
    ]) {
      expect(idLikeLabelValue(v), v).toBeDefined();
    }
    for (const v of ['/v1/messages/:id', 'GET', '2xx', 'telegram', 'dead_letter', 'hub.messages.v1', '11', 'rate_limited', '4008']) {
      expect(idLikeLabelValue(v), v).toBeUndefined();
    }
  });

  it('fails a registry where a message id became a label value', async () => {
    const registry = createMetricsRegistry('guard-test');
    const c = new Counter({ name: 'bad_total', help: 'x', labelNames: ['message'], registers: [registry] });
    c.inc({ message: '0b7f5c1e-3c55-4d8e-9a57-2f1c8f1e0a11' });
    expect(await idLikeLabels(registry)).toEqual(['bad_total{message="0b7f5c1e-3c55-4d8e-9a57-2f1c8f1e0a11"} (uuid)']);
  });
});
