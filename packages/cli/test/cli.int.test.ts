import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '@hub/sdk';
import { freePort } from '../../../test/support/private-servers';
import { startHub, type StartedHub } from '../../../test/support/hub-processes';
import { randomUsername, testPassword } from '../../../test/support/identity';
import { eventually } from '../../../test/support/spawn-service';
import { REPO_ROOT } from '../../../test/support/stack-env';

// The `hub` command as a user runs it (its bin script, a process of its own)
// against a hub started as npm start does.

const BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'hub.js');
let hub: StartedHub;
let dir: string;
let hookPort: number;
const alice = { username: randomUsername('cli'), password: testPassword() };
const bob = { username: randomUsername('cli'), password: testPassword() };

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function cli(
  args: string[],
  opts: { config?: string; env?: Record<string, string>; onOut?: (chunk: string) => void } = {},
): Promise<Run> & { kill(): void } {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, opts.config ?? 'admin'), HUB_URL: hub.url, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
    opts.onOut?.(c);
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const done = new Promise<Run>((resolve) => proc.once('exit', (code) => resolve({ code, out, err }))) as Promise<Run> & { kill(): void };
  done.kill = () => proc.kill('SIGTERM');
  return done;
}

async function json<T = Record<string, unknown>>(args: string[], opts: Parameters<typeof cli>[1] = {}): Promise<T> {
  const r = await cli(['--json', ...args], opts);
  expect(r.code, `hub ${args.join(' ')}:\n${r.out}\n${r.err}`).toBe(0);
  const lines = r.out.trim().split('\n');
  expect(lines).toHaveLength(1); // one JSON document per command
  return JSON.parse(lines[0]!) as T;
}

beforeAll(async () => {
  hookPort = await freePort();
  hub = await startHub({ WEBHOOK_ALLOWED_CIDRS: `127.0.0.1:${hookPort}` });
  dir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
  for (const u of [alice, bob]) await new HubClient({ baseUrl: hub.url }).register(u);
}, 180_000);

afterAll(async () => {
  await hub?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hub CLI against a started hub', () => {
  it('refuses bad credentials with exit code 4 and a problem rendered as error: <title>: <detail>', async () => {
    const r = await cli(['login', '--client-id', hub.env.ADMIN_CLIENT_ID!], { env: { HUB_CLIENT_SECRET: 'wrong-secret' } });
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^error: [^\n]+/);
    const u = await cli(['login', '--username', alice.username], { config: 'alice', env: { HUB_PASSWORD: 'not-the-password' } });
    expect(u.code).toBe(4);
    // Not logged in: also an authentication failure, with what to do.
    const none = await cli(['conversations', 'list'], { config: 'nobody' });
    expect(none.code).toBe(4);
    expect(none.err).toContain('not logged in: run `hub login` first');
  });

  it('logs in an API client and a user, keeping the session in a 0600 config file under XDG_CONFIG_HOME', async () => {
    const admin = await json<{ base_url: string; principal: { kind: string; subject: string } }>(
      ['login', '--client-id', hub.env.ADMIN_CLIENT_ID!],
      { env: { HUB_CLIENT_SECRET: hub.env.ADMIN_CLIENT_SECRET! } },
    );
    expect(admin.base_url).toBe(hub.url);
    expect(admin.principal).toMatchObject({ kind: 'client', subject: hub.env.ADMIN_CLIENT_ID });
    const file = join(dir, 'admin', 'hub', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      base_url: hub.url,
      login: { kind: 'client' },
      tokens: { accessToken: expect.any(String) },
    });

    const user = await json<{ principal: { kind: string; subject: string } }>(['login', '--username', alice.username], {
      config: 'alice',
      env: { HUB_PASSWORD: alice.password },
    });
    expect(user.principal).toMatchObject({ kind: 'user', subject: alice.username });
    const human = await cli(['whoami'], { config: 'alice' });
    expect(human.code).toBe(0);
    expect(human.out).toContain(`user ${alice.username}`);
  });

  it('creates and lists conversations, sends, shows the status, and answers 2 for an unknown message', async () => {
    const conv = await json<{ conversation_id: string; type: string; members: string[] }>([
      'conversations',
      'create',
      alice.username,
      bob.username,
    ]);
    expect(conv).toMatchObject({ type: 'direct', members: expect.arrayContaining([alice.username, bob.username]) });
    const list = await json<{ conversations: { conversation_id: string }[] }>(['conversations', 'list'], { config: 'alice' });
    expect(list.conversations.map((c) => c.conversation_id)).toContain(conv.conversation_id);

    const sent = await json<{ message_id: string; status: string }>([
      'send',
      conv.conversation_id,
      'hello from the CLI',
      '--from',
      alice.username,
    ]);
    expect(sent).toMatchObject({ message_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'accepted' });
    // A user sends as themself (no --from), with human output.
    const human = await cli(['send', conv.conversation_id, 'and from Alice'], { config: 'alice' });
    expect(human.code, human.err).toBe(0);
    expect(human.out).toMatch(/^accepted [0-9a-f-]{36}$/m);

    const status = await eventually(
      async () => {
        const r = await cli(['--json', 'status', sent.message_id]);
        return r.code === 0
          ? (JSON.parse(r.out) as { message_id: string; status: string; recipients: { recipient: string; channel: string }[] })
          : undefined;
      },
      { what: 'the message to be stored', timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(status).toMatchObject({
      message_id: sent.message_id,
      conversation_id: conv.conversation_id,
      recipients: [expect.objectContaining({ recipient: bob.username, channel: 'internal' })],
    });

    const unknown = await cli(['status', randomUUID()]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^error: Not found: /i);
    const unknownJson = await cli(['--json', 'status', randomUUID()]);
    expect(unknownJson.code).toBe(2);
    expect(JSON.parse(unknownJson.out)).toMatchObject({ error: { status: 404, title: expect.any(String) }, exit_code: 2 });
    // Field errors are listed under the title.
    const bad = await cli(['send', 'not-a-uuid', 'x', '--from', alice.username]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error: .+\n {2}\S*conversation_id\S*: /);
  });

  it('tails a conversation live, one JSON line per message', async () => {
    // A new conversation: tail would otherwise first catch up on what Bob has not acknowledged yet.
    const conv = await json<{ conversation_id: string }>(['conversations', 'create', alice.username, bob.username, '--name', 'tail']);
    await json(['login', '--username', bob.username], { config: 'bob', env: { HUB_PASSWORD: bob.password } });
    let seen = '';
    const tail = cli(['--json', 'tail', conv.conversation_id, '--count', '2'], { config: 'bob', onOut: (c) => (seen += c) });
    // Sends once tail is connected (it says so on stderr), then again: both arrive, in order.
    await new Promise((r) => setTimeout(r, 3_000));
    await json(['send', conv.conversation_id, 'first', '--from', alice.username]);
    await json(['send', conv.conversation_id, 'second', '--from', alice.username]);
    const r = await Promise.race([
      tail,
      new Promise<Run>((_, reject) => setTimeout(() => reject(new Error(`tail did not end; output: ${seen}`)), 30_000)),
    ]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; sequence_number: number; payload: { text: string } });
    expect(lines.map((l) => [l.type, l.payload.text])).toEqual([
      ['message', 'first'],
      ['message', 'second'],
    ]);
    expect(lines[1]!.sequence_number).toBe(lines[0]!.sequence_number + 1);
  });

  it('adds, lists and rotates webhooks and lists their deliveries; lists dead letters', async () => {
    const url = `http://127.0.0.1:${hookPort}/hooks`;
    const added = await json<{ webhook_id: string; secret: string; url: string }>([
      'webhooks',
      'add',
      url,
      '--events',
      'message.sent',
      'message.delivered',
    ]);
    expect(added).toMatchObject({ url, secret: expect.stringMatching(/^whsec_/) });
    const list = await json<{ webhooks: { webhook_id: string; events: string[] }[] }>(['webhooks', 'list']);
    expect(list.webhooks.find((w) => w.webhook_id === added.webhook_id)?.events).toEqual(['message.sent', 'message.delivered']);
    const rotated = await json<{ secret: string }>(['webhooks', 'rotate', added.webhook_id, '--grace', '0']);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(added.secret);
    const deliveries = await json<{ deliveries: unknown[] }>(['webhooks', 'deliveries', added.webhook_id]);
    expect(Array.isArray(deliveries.deliveries)).toBe(true);
    const human = await cli(['webhooks', 'list']);
    expect(human.out).toMatch(new RegExp(`^${added.webhook_id}\\s+${url.replace(/[/.]/g, '\\$&')}`, 'm'));

    const dlq = await json<{ dead_letters: unknown[] }>(['dlq', 'list']);
    expect(Array.isArray(dlq.dead_letters)).toBe(true);
    // A user has no admin scope: an authorisation failure.
    const forbidden = await cli(['dlq', 'list'], { config: 'alice' });
    expect(forbidden.code).toBe(4);
  });

  it('uploads a file with a progress bar and downloads it with the SHA-256 checked', async () => {
    const src = join(dir, 'report.bin');
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(src, bytes);
    const up = await cli(['--json', 'files', 'upload', src, '--content-type', 'application/octet-stream'], { config: 'alice' });
    expect(up.code, up.err).toBe(0);
    expect(up.err).toMatch(/upload uploading +\[#+\] 100%/);
    const file = JSON.parse(up.out) as { file_id: string; sha256: string; size: number; status: string };
    expect(file).toMatchObject({ status: 'completed', size: bytes.length });

    const target = join(dir, 'copy.bin');
    const down = await json<{ path: string; sha256: string; size: number }>(['files', 'download', file.file_id, '-o', target], {
      config: 'alice',
    });
    expect(down).toMatchObject({ path: target, sha256: file.sha256, size: bytes.length });
    expect(readFileSync(target).equals(bytes)).toBe(true);
    // No silent overwrite.
    const again = await cli(['files', 'download', file.file_id, '-o', target], { config: 'alice' });
    expect(again.code).toBe(1);
    expect(again.err).toContain('exists (use --force');
  });

  it('exits 1 on usage errors and 3 when the hub cannot be reached', async () => {
    expect((await cli(['no-such-command'])).code).toBe(1);
    expect((await cli(['send'])).code).toBe(1);
    const port = await freePort();
    const down = await cli(['whoami', '--base-url', `http://127.0.0.1:${port}`], { config: 'fresh' });
    expect(down.code).toBe(4); // not logged in there: checked before any request
    const login = await cli(['login', '--client-id', 'x', '--base-url', `http://127.0.0.1:${port}`], {
      config: 'fresh',
      env: { HUB_CLIENT_SECRET: 'y' },
    });
    expect(login.code).toBe(3);
    expect(login.err).toMatch(/^error: /);
  });
});
