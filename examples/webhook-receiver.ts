/**
 * A webhook receiver: an HTTP server on 127.0.0.1 that verifies each call's
 * Standard Webhooks signature with @hub/sdk's verifyWebhook, registered by an
 * API client that then sends a message and watches its events arrive.
 *
 * The hub refuses loopback webhook URLs unless allowed: start it with
 *   WEBHOOK_ALLOWED_CIDRS=127.0.0.1:8090 npm start
 * then: npm run example:webhook-receiver [-- --port 8090]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unwrap, verifyWebhook, WebhookVerificationError, type WebhookEvent } from '@hub/sdk';
import { admin, newUser, ok, run, say, settings, step, waitFor } from './support';

run('webhook-receiver', async () => {
  const s = settings({ port: { type: 'string', default: process.env.HUB_DEMO_WEBHOOK_PORT ?? '8090' } });
  const port = Number(s.options.port);

  let secret = '';
  const events: WebhookEvent[] = [];
  let refused = 0;
  step(`starting the receiver on http://127.0.0.1:${port}/hub-events`);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      verifyWebhook(secret, req.headers as Record<string, string>, body).then(
        (event) => {
          events.push(event);
          const data = event.data as { message_id?: string; recipient?: string; channel?: string };
          say(
            `receiver: verified ${event.type} ${data.message_id ?? ''}${data.recipient ? ` → ${data.recipient}` : ''}${data.channel ? ` via ${data.channel}` : ''} (webhook-id ${String(req.headers['webhook-id'])})`,
          );
          res.writeHead(204).end();
        },
        (err: unknown) => {
          refused++;
          const reason = err instanceof WebhookVerificationError ? err.reason : String(err);
          say(`receiver: refused a call (${reason})`);
          res.writeHead(400).end(reason);
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub-events`;

  step('an API client registers the endpoint');
  const hub = await admin(s);
  const hook = unwrap(await hub.api.POST('/v1/webhooks', { body: { url, events: ['*'], description: 'webhook-receiver demo' } }));
  secret = hook.secret;
  say(`webhook ${hook.webhook_id}; its signing secret is shown only in this answer`);

  try {
    step('the API client sends a message on behalf of Alice to Bob');
    const alice = await newUser(s.baseUrl, 'alice');
    const bob = await newUser(s.baseUrl, 'bob');
    const conv = await hub.createConversation({ type: 'direct', members: [alice.username, bob.username] });
    const { message_id } = await hub.sendMessage({
      conversation_id: conv.conversation_id,
      from: alice.username,
      payload: { type: 'text', text: 'Your order has shipped' },
    });
    say(`accepted ${message_id}`);

    step('the receiver gets signed events about it');
    const first = await waitFor(
      'a first event about the message',
      () => events.find((e) => e.type.startsWith('message.') && (e.data as { message_id?: string }).message_id === message_id),
      60_000,
    );
    ok(`${first.type} verified`);
    const bobWs = bob.hub.connect();
    await waitFor(
      'message.delivered after Bob came online',
      () => events.some((e) => e.type === 'message.delivered' && (e.data as { message_id?: string }).message_id === message_id),
      60_000,
    );
    ok('message.delivered verified');
    bobWs.close();

    step('a forged call is refused');
    const forged = JSON.stringify({ type: 'message.read', timestamp: new Date().toISOString(), data: { message_id } });
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,bm90IGEgcmVhbCBzaWduYXR1cmU=',
      },
      body: forged,
    });
    if (res.status !== 400 || refused < 1) throw new Error(`the forged call was not refused (status ${res.status})`);
    ok('forged call refused with 400');

    step("the hub's delivery log");
    const { deliveries } = unwrap(await hub.api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: hook.webhook_id } } }));
    for (const d of deliveries)
      say(`${d.event_type}: ${d.state} after ${d.attempt_count} attempt(s), last status ${d.last_status_code ?? '-'}`);
    if (!deliveries.some((d) => d.state === 'succeeded')) throw new Error('no delivery recorded as succeeded');
    ok(`${deliveries.filter((d) => d.state === 'succeeded').length} deliveries succeeded`);
  } finally {
    await hub.api.DELETE('/v1/webhooks/{id}', { params: { path: { id: hook.webhook_id } } });
    server.close();
  }
});
