// A webhook receiver for the messaging hub (docs/webhooks.md), Node >= 20, no dependencies.
//
//   WEBHOOK_SECRET=whsec_... node docs/examples/webhook-receiver.mjs 8088
//
// Verifies the Standard Webhooks signature (HMAC-SHA256 by hand; the
// `standardwebhooks` npm package or @hub/sdk's verifyWebhook do the same),
// refuses calls older than five minutes, deduplicates on webhook-id and
// prints each event as one line.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const TOLERANCE_S = 5 * 60;

/** Returns the event if one of the signatures matches and the timestamp is recent; throws otherwise. */
export function verify(secret, headers, rawBody, now = Date.now()) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) throw new Error('missing webhook-id, webhook-timestamp or webhook-signature');
  const sentAt = Number(timestamp);
  if (!Number.isInteger(sentAt)) throw new Error('webhook-timestamp is not a number');
  if (Math.abs(now / 1000 - sentAt) > TOLERANCE_S) throw new Error('webhook-timestamp is too old or in the future');
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(rawBody).digest();
  // One "v1,<base64>" entry per active secret (two during a rotation): any match will do.
  const ok = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw new Error('no signature matches');
  return JSON.parse(rawBody.toString('utf8'));
}

export function serve(port, secret) {
  const seen = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let event;
      try {
        event = verify(secret, req.headers, Buffer.concat(chunks));
      } catch (err) {
        res.writeHead(400).end(err.message);
        return;
      }
      // The same webhook-id comes again on retries and re-sends: handle it once.
      const id = req.headers['webhook-id'];
      if (!seen.has(id)) {
        seen.add(id);
        process.stdout.write(`${JSON.stringify({ webhook_id: id, type: event.type, data: event.data })}\n`);
      }
      res.writeHead(204).end();
    });
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) serve(Number(process.argv[2] ?? 8088), process.env.WEBHOOK_SECRET);
