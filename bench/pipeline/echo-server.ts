import { serve } from '@hono/node-server';
import { Hono } from 'hono';

// Reference: a bare Hono JSON echo route on the same Node server adapter, no middleware.
const app = new Hono();
app.post('/echo', async (c) => c.json(await c.req.json()));
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ msg: 'echo listening', port: info.port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
