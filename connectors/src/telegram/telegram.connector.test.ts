import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '@hub/domain';
import { FakeTelegramServer } from '../../../test/support/fake-telegram-server';
import { freePort } from '../../../test/support/private-servers';
import { runConnectorContract, type ContractHarness } from '../../test/connector-contract';
import { ProviderRateLimitedError } from '../errors';
import { TelegramConnector } from './telegram.connector';

function update(chatId: string, text: string, updateId: string): unknown {
  return {
    update_id: Number(updateId),
    message: {
      message_id: 7,
      date: 1_700_000_000,
      chat: { id: Number(chatId), type: 'private', first_name: 'Ann' },
      from: { id: Number(chatId), is_bot: false, first_name: 'Ann' },
      text,
    },
  };
}

runConnectorContract('Telegram (grammY against a fake Bot API server)', async (): Promise<ContractHarness> => {
  const fake = await FakeTelegramServer.start();
  const connector = new TelegramConnector({ token: fake.token, apiRoot: fake.apiRoot });
  return {
    connector,
    recipient: '1001',
    otherRecipient: '1002',
    unknownRecipient: '1009',
    malformedRecipient: 'chat one',
    delivered: (to) =>
      fake.calls
        .filter((c) => c.status === 200 && String(c.params.chat_id) === to && (c.method === 'sendMessage' || c.method === 'sendDocument'))
        .map((c, i) => ({
          kind: c.method === 'sendMessage' ? ('text' as const) : ('file' as const),
          // The fake numbers messages globally in call order; recover each call's id from the order of successful sends.
          externalId: String(
            fake.calls.filter((x) => x.status === 200 && (x.method === 'sendMessage' || x.method === 'sendDocument')).indexOf(c) + 1,
          ),
          ...(c.method === 'sendMessage' ? { text: String(c.params.text) } : { filename: c.document?.filename ?? 'report.pdf' }),
          index: i,
        })),
    refuseRecipient: (to) => fake.chatNotFound(to),
    breakProvider: () => fake.failFor(60_000, 500),
    restoreProvider: () => fake.heal(),
    inboundText: (from, text, eventId) => update(from, text, eventId),
    inboundUnsupported: (eventId) => ({
      update_id: Number(eventId),
      edited_message: { message_id: 1, date: 1, chat: { id: 1, type: 'private' }, text: 'edited' },
    }),
    close: () => fake.close(),
  };
});

describe('Telegram connector', () => {
  let fake: FakeTelegramServer;
  let telegram: TelegramConnector;
  let files: Server;
  let filesUrl: string;

  beforeAll(async () => {
    fake = await FakeTelegramServer.start();
    telegram = new TelegramConnector({ token: fake.token, apiRoot: fake.apiRoot, maxUrlBytes: 1_000, maxUploadBytes: 10_000 });
    files = createServer((req, res) => {
      const size = Number(new URL(req.url!, 'http://x').searchParams.get('size') ?? '100');
      res.writeHead(200, { 'Content-Length': size });
      res.end(Buffer.alloc(size, 7));
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', () => r()));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await fake.close();
    await new Promise<void>((r) => files.close(() => r()));
  });

  it('maps 429 to a rate-limit error carrying retry_after', async () => {
    fake.rateLimitNext(1, 3, 555);
    const err = await telegram.send({ to: '555', text: 'flood' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRateLimitedError);
    expect((err as ProviderRateLimitedError).retryAfterMs).toBe(3_000);
  });

  it('maps 403 "bot was blocked" to permanent bot_blocked and 400 "chat not found" to chat_not_found', async () => {
    fake.blockedBy(556);
    fake.chatNotFound(557);
    await expect(telegram.send({ to: '556', text: 'x' })).rejects.toMatchObject({ name: 'PermanentError', reason: 'bot_blocked' });
    await expect(telegram.send({ to: '557', text: 'x' })).rejects.toMatchObject({ name: 'PermanentError', reason: 'chat_not_found' });
    fake.heal();
  });

  it('maps a non-JSON 502 from a proxy and an unreachable API to transient errors that never contain the token', async () => {
    fake.failNext(1, 502, { html: true });
    const proxy = await telegram.send({ to: '558', text: 'x' }).catch((e: unknown) => e);
    expect(proxy).toBeInstanceOf(TransientError);
    const nowhere = new TelegramConnector({ token: fake.token, apiRoot: `http://127.0.0.1:${await freePort()}` });
    const down = await nowhere.send({ to: '558', text: 'x' }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(TransientError);
    expect((down as Error).message).toMatch(/unreachable/);
    for (const e of [proxy, down])
      expect(JSON.stringify({ m: (e as Error).message, s: (e as Error).stack })).not.toContain(fake.token.split(':')[1]);
  });

  it('sends small PDFs by URL (Telegram fetches them), other files by upload, and a link above the upload limit', async () => {
    const byUrl = await telegram.sendFile({
      to: '600',
      file: { filename: 'a.pdf', size: 500, contentType: 'application/pdf', url: `${filesUrl}/a.pdf?size=500` },
      caption: 'pdf',
    });
    const upload = await telegram.sendFile({
      to: '600',
      file: { filename: 'b.txt', size: 5_000, contentType: 'text/plain', url: `${filesUrl}/b.txt?size=5000` },
    });
    const link = await telegram.sendFile({
      to: '600',
      file: { filename: 'c.bin', size: 50_000, contentType: 'application/octet-stream', url: `${filesUrl}/c.bin?size=50000` },
      caption: 'big one',
    });
    const docs = fake.sent('sendDocument').filter((c) => c.params.chat_id === 600 || c.params.chat_id === '600');
    expect(docs.map((d) => d.document)).toEqual([
      { source: 'url', bytes: 500, fetchStatus: 200 },
      { source: 'upload', filename: 'b.txt', bytes: 5_000 },
    ]);
    expect(docs[0]!.params.caption).toBe('pdf');
    const texts = fake.textsTo(600);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('big one');
    expect(texts[0]).toContain(`${filesUrl}/c.bin?size=50000`);
    expect(new Set([byUrl.externalId, upload.externalId, link.externalId]).size).toBe(3);
  });

  it('parses /start with its argument as a command, and documents as file events', () => {
    expect(telegram.parseInbound(update('42', '/start abc-123', '9'))).toEqual([
      {
        kind: 'command',
        eventId: '9',
        from: { externalId: '42', displayName: 'Ann' },
        externalMessageId: '7',
        command: 'start',
        argument: 'abc-123',
      },
    ]);
    const doc = {
      update_id: 10,
      message: {
        message_id: 8,
        date: 1,
        chat: { id: 42, type: 'private' },
        caption: 'see this',
        document: { file_id: 'F1', file_unique_id: 'U1', file_name: 'x.pdf', mime_type: 'application/pdf', file_size: 12 },
      },
    };
    expect(telegram.parseInbound(doc)).toEqual([
      {
        kind: 'file',
        eventId: '10',
        from: { externalId: '42' },
        externalMessageId: '8',
        file: { providerFileId: 'F1', filename: 'x.pdf', contentType: 'application/pdf', size: 12 },
        caption: 'see this',
      },
    ]);
  });

  it('carries the id of the message a user replied to', () => {
    const reply = {
      update_id: 11,
      message: {
        message_id: 9,
        date: 1,
        chat: { id: 42, type: 'private' },
        text: 'yes!',
        reply_to_message: { message_id: 3, date: 1, chat: { id: 42, type: 'private' } },
      },
    };
    expect(telegram.parseInbound(reply)).toEqual([
      { kind: 'text', eventId: '11', from: { externalId: '42' }, externalMessageId: '9', text: 'yes!', replyTo: '3' },
    ]);
  });

  it('reports the bot username from getMe and downloads files users sent', async () => {
    expect(await telegram.botUsername()).toBe(fake.botUsername);
    fake.addFile('F9', new Uint8Array([1, 2, 3]), 'n.bin');
    const got = await telegram.downloadFile('F9');
    expect(new Uint8Array(await new Response(got.body).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    await expect(telegram.downloadFile('nope')).rejects.toBeInstanceOf(PermanentError);
  });
});
