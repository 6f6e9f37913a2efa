import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { signPayload } from '@hub/webhooks';
import { REPO_ROOT } from '../support/stack-env';

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/**
 * The receiver examples of docs/webhooks.md, run as written (python3 and
 * node), against calls signed by the hub's own signing code.
 */
const RECEIVERS: Array<[string, string[]]> = [
  ['python', ['python3', join(REPO_ROOT, 'docs', 'examples', 'webhook_receiver.py'), '0']],
  ['node', [process.execPath, join(REPO_ROOT, 'docs', 'examples', 'webhook-receiver.mjs'), '0']],
];

describe.each(RECEIVERS)('the %s webhook receiver example (issue 19, item 5)', (_name, [cmd, ...args]) => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill();
  });

  async function start(secret: string): Promise<{ url: string; lines: string[] }> {
    child = spawn(cmd!, args, { env: { ...process.env, WEBHOOK_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const rl = createInterface({ input: child.stdout! });
    const url = await new Promise<string>((resolve, reject) => {
      child!.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
      rl.on('line', (line) => {
        const m = /^listening on (http:\/\/\S+)$/.exec(line);
        if (m) resolve(m[1]!);
        else lines.push(line);
      });
    });
    return { url, lines };
  }

  const post = (url: string, headers: Record<string, string>, body: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('accepts a signed call once per webhook-id, also while a rotation signs with two secrets; refuses a tampered body, an old timestamp and another secret', async () => {
    const previous = newSecret();
    const { url, lines } = await start(previous);
    const id = `msg_${randomUUID()}`;
    const body = JSON.stringify({
      type: 'message.delivered',
      timestamp: new Date().toISOString(),
      data: { message_id: randomUUID(), recipient: 'bob', status: 'delivered' },
    });
    // A rotation's grace period: the hub signs with the new and the previous secret; this receiver still holds the previous one.
    const signed = signPayload(id, new Date(), body, [newSecret(), previous]);
    expect((await post(url, { ...signed }, body)).status).toBe(204);
    expect((await post(url, { ...signed }, body)).status).toBe(204);

    expect((await post(url, { ...signed }, body.replace('bob', 'eve'))).status).toBe(400);
    const old = signPayload(id, new Date(Date.now() - 10 * 60_000), body, [previous]);
    expect((await post(url, { ...old }, body)).status).toBe(400);
    expect((await post(url, { ...signPayload(id, new Date(), body, [newSecret()]) }, body)).status).toBe(400);
    expect((await post(url, {}, body)).status).toBe(400);

    // The event was handled once (the repeat was a duplicate), with its type.
    await expect.poll(() => lines.length).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ webhook_id: id, type: 'message.delivered', data: { recipient: 'bob' } });
  }, 30_000);
});
