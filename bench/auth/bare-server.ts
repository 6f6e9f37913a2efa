import { serve } from '@hono/node-server';
import { Hono } from 'hono';

// The baseline: a bare Hono route on the same Node server adapter, no middleware at all.
const app = new Hono();
app.get('/noop', (c) => c.json({ ok: true }));
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ msg: 'bare listening', port: info.port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
