import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test/support/private-servers';
import { startHub, type StartedHub } from '../test/support/hub-processes';
import { REPO_ROOT } from '../test/support/stack-env';

// The demos as a user runs them (`node --import tsx examples/<name>.ts`),
// against a hub started as npm start does (every service its own process,
// behind the gateway), with the settings the demos document: the Telegram
// Bot API root pointing at the fake the channels demo starts, and the
// webhook receiver's port allowed.

const MiB = 1024 * 1024;
let hub: StartedHub;
let telegramPort: number;
let webhookPort: number;
const TELEGRAM_TOKEN = '123456:hub-demo-token-000000000';

beforeAll(async () => {
  telegramPort = await freePort();
  webhookPort = await freePort();
  hub = await startHub({
    TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
    TELEGRAM_API_ROOT: `http://127.0.0.1:${telegramPort}`,
    TELEGRAM_WEBHOOK_SECRET: 'demo-telegram-webhook-secret',
    WEBHOOK_ALLOWED_CIDRS: `127.0.0.1:${webhookPort}`,
    WEBHOOK_POLL_INTERVAL_MS: '100',
    // A 12 MiB file still goes in parts (three of 5 MiB), in a fraction of the 100 MiB run's time.
    FILES_MULTIPART_THRESHOLD_BYTES: String(6 * MiB),
    FILES_PART_SIZE_BYTES: String(5 * MiB),
  });
}, 180_000);

afterAll(async () => {
  await hub?.stop();
});

async function demo(name: string, args: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'examples', `${name}.ts`), ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HUB_URL: hub.url,
      HUB_ADMIN_CLIENT_ID: hub.env.ADMIN_CLIENT_ID!,
      HUB_ADMIN_CLIENT_SECRET: hub.env.ADMIN_CLIENT_SECRET!,
      // Not the developer's npm start secrets: only what this test passes.
      HUB_STACK_DIR: '/nonexistent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  return { code, out, err };
}

function expectOk(r: { code: number | null; out: string; err: string }, name: string): void {
  expect(r.code, `${name} failed:\n${r.out}\n${r.err}`).toBe(0);
  expect(r.out).toContain(`${name}: OK`);
}

describe('examples/ against a started hub', () => {
  it('basic-chat: Bob receives, and Alice sees delivered then read', async () => {
    const r = await demo('basic-chat');
    expectOk(r, 'basic-chat');
    expect(r.out).toMatch(/✔ Bob received #1 from alice-[0-9a-f]+: "Hi Bob!"/);
    expect(r.out.indexOf('✔ delivered')).toBeGreaterThan(0);
    expect(r.out.indexOf('✔ read')).toBeGreaterThan(r.out.indexOf('✔ delivered'));
    expect(r.out).toContain('✔ status read');
  });

  it('offline: five messages in order after connecting, three more after resuming', async () => {
    const r = await demo('offline');
    expectOk(r, 'offline');
    expect(r.out).toContain('✔ caught up: 5 messages in order (#1…#5), no gap, no repeat');
    expect(r.out).toContain('✔ resumed: 3 messages in order (#6…#8), no gap, no repeat');
  });

  it('channels: internal, Telegram (fake Bot API started by the demo), WhatsApp and Instagram each reached', async () => {
    const r = await demo('channels', ['--telegram-port', String(telegramPort), '--telegram-token', TELEGRAM_TOKEN]);
    expectOk(r, 'channels');
    for (const ch of ['internal', 'telegram', 'whatsapp', 'instagram']) expect(r.out).toMatch(new RegExp(`✔ ${ch}: (sent|delivered|read)`));
    expect(r.out).toContain('✔ Telegram got the text');
  }, 120_000);

  it('webhook-receiver: signed events verified, a forged call refused, deliveries logged', async () => {
    const r = await demo('webhook-receiver', ['--port', String(webhookPort)]);
    expectOk(r, 'webhook-receiver');
    expect(r.out).toMatch(/✔ message\.(pending|sent|delivered) verified/);
    expect(r.out).toContain('✔ message.delivered verified');
    expect(r.out).toContain('✔ forged call refused with 400');
    expect(r.out).toMatch(/✔ \d+ deliveries succeeded/);
  });

  it('big-file: a multipart upload sent as a message and downloaded with the same SHA-256', async () => {
    const r = await demo('big-file', ['--size-mb', '12']);
    expectOk(r, 'big-file');
    expect(r.out).toContain('✔ upload complete; the hub verified the SHA-256 (multipart)');
    expect(r.out).toContain('✔ checksum matches');
  });

  it('fails with a clear message and a non-zero exit when the hub is not there', async () => {
    const port = await freePort();
    const r = await demo('basic-chat', ['--base-url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/DEMO FAILED: .*(ECONNREFUSED|fetch failed|unreachable)/);
  });
});
