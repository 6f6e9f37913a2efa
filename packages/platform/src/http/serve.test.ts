import { request, Agent } from 'node:http';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from './serve';

function get(url: string, agent: Agent): Promise<{ status: number; socketPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socketPort: req.socket?.localPort ?? -1 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('listen', () => {
  let server: RunningServer | undefined;
  afterAll(async () => server?.close());

  it("keeps an idle keep-alive connection past Node's default (5 s, closed after about 6 s), so a client reusing it is not reset", async () => {
    const app = new Hono().get('/ok', (c) => c.text('ok'));
    server = await listen(app, { host: '127.0.0.1', port: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(`${server.url}/ok`, agent);
    await new Promise((r) => setTimeout(r, 7_000));
    const second = await get(`${server.url}/ok`, agent);
    agent.destroy();
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    // The same client socket served both: the server did not close it while idle.
    expect(second.socketPort).toBe(first.socketPort);
  }, 15_000);
});
