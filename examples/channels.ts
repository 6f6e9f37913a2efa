/**
 * One message, several channels: Bob is reached on the hub (WebSocket), on
 * Telegram (a fake Bot API this demo starts on 127.0.0.1) and on the
 * WhatsApp and Instagram mocks; the status is shown per channel.
 *
 * The hub's router must talk to the fake Bot API: start the hub with
 *   TELEGRAM_BOT_TOKEN=123456:hub-demo-token-000000000 TELEGRAM_API_ROOT=http://127.0.0.1:8091 npm start
 * then: npm run example:channels [-- --telegram-port 8091]
 * (--telegram-token / HUB_DEMO_TELEGRAM_TOKEN if you chose another token.)
 */
import type { ChannelName } from '@hub/sdk';
import { FakeTelegramServer } from '../test/support/fake-telegram-server';
import { admin, newUser, ok, run, say, settings, step } from './support';

const DEMO_TOKEN = '123456:hub-demo-token-000000000';

run('channels', async () => {
  const s = settings({
    'telegram-port': { type: 'string', default: process.env.HUB_DEMO_TELEGRAM_PORT ?? '8091' },
    'telegram-token': { type: 'string', default: process.env.HUB_DEMO_TELEGRAM_TOKEN ?? DEMO_TOKEN },
  });
  step(`starting a fake Telegram Bot API on 127.0.0.1:${String(s.options['telegram-port'])}`);
  const telegram = await FakeTelegramServer.start({
    port: Number(s.options['telegram-port']),
    token: String(s.options['telegram-token']),
    botUsername: 'hub_demo_bot',
  });
  say(`${telegram.apiRoot} (the hub must run with TELEGRAM_API_ROOT=${telegram.apiRoot})`);
  try {
    step('Alice and Bob; Bob has Telegram, WhatsApp and Instagram accounts');
    const alice = await newUser(s.baseUrl, 'alice');
    const bob = await newUser(s.baseUrl, 'bob');
    const hub = await admin(s);
    const chatId = 700_000 + Math.floor(Math.random() * 100_000);
    const links: ['telegram' | 'whatsapp' | 'instagram', object][] = [
      ['telegram', { chat_id: chatId }],
      ['whatsapp', { phone: `+4915${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}` }],
      ['instagram', { external_id: String(17_000_000_000 + Math.floor(Math.random() * 1e9)) }], // Instagram-scoped ids are numeric
    ];
    for (const [channel, body] of links) {
      const res = await hub.api.PUT('/v1/users/{username}/channels/{channel}', {
        params: { path: { username: bob.username, channel } },
        body: body as never,
      });
      if (!res.response.ok) throw new Error(`linking ${channel} answered ${res.response.status}: ${JSON.stringify(res.error)}`);
      say(`linked ${bob.username} on ${channel}: ${JSON.stringify(body)}`);
    }
    const conv = await alice.hub.createConversation({ type: 'direct', members: [alice.username, bob.username] });
    const bobWs = bob.hub.connect();
    await bobWs.once('open');
    say(`${bob.username} is also online on the WebSocket`);

    step('Alice sends one message to Bob on every channel');
    const channels: ChannelName[] = ['internal', 'telegram', 'whatsapp', 'instagram'];
    const text = `Hello on every channel (${Date.now()})`;
    const { message_id } = await alice.hub.sendMessage({
      conversation_id: conv.conversation_id,
      from: alice.username,
      payload: { type: 'text', text },
      channels,
    });
    say(`accepted ${message_id}`);

    step('status per channel');
    const reached = new Set(['sent', 'delivered', 'read']);
    const settled = (st: string) => reached.has(st) || st === 'failed';
    let last: Awaited<ReturnType<typeof alice.hub.messageStatus>> | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      // 404 until the router stored it (normally within a second).
      last = await alice.hub.messageStatus(message_id).catch(() => last);
      if (last && channels.every((ch) => last!.recipients.some((r) => r.channel === ch && settled(r.status)))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!last) throw new Error('the message was never stored');
    const status = last;
    for (const r of status.recipients)
      say(
        `${r.recipient} via ${r.channel.padEnd(9)} ${r.status}${r.external_id ? ` (external id ${r.external_id})` : ''}${r.detail ? ` — ${r.detail}` : ''}`,
      );
    const missed = channels.filter((ch) => !status.recipients.some((r) => r.channel === ch && reached.has(r.status)));
    if (missed.length) throw new Error(`not reached on ${missed.join(', ')}`);
    for (const ch of channels) ok(`${ch}: ${status.recipients.find((r) => r.channel === ch)!.status}`);

    step('what the fake Telegram received');
    const texts = telegram.textsTo(chatId);
    say(`sendMessage to chat ${chatId}: ${JSON.stringify(texts)}`);
    if (!texts.includes(text)) throw new Error('the fake Bot API did not receive the text');
    ok('Telegram got the text');
    bobWs.close();
  } finally {
    await telegram.close();
  }
});
