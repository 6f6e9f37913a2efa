import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@hub/domain';
import { createLogger, Registry } from '@hub/platform';
import { eventually } from '../../../test/support/spawn-service';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver';
import { createNotifyWorker, type NotifySettings, type NotifyWorker } from '../src/notify/notify-worker';
import { startNotifyKit, type NotifyKit } from './notify-kit';

// A router that stops in the middle of a retry hands the delivery back; the
// next router takes it over when it is due, with the same webhook-id.
const settings: Partial<NotifySettings> = { retry: { delaysMs: [1_500], jitter: 0 }, recoveryIntervalMs: 300 };
let kit: NotifyKit;
let next: NotifyWorker | undefined;
let rx: WebhookReceiver;

beforeAll(async () => {
  kit = await startNotifyKit(settings);
  rx = await startWebhookReceiver('127.0.0.1', (_c, n) => (n === 1 ? { status: 500 } : { status: 200 }));
});
afterAll(async () => {
  await next?.stop();
  await rx?.close();
  await kit?.close();
});

describe('notify worker restart', () => {
  it('gives held deliveries back on shutdown and another worker finishes them', async () => {
    const client = `crm-${newId().slice(-12)}`;
    const wh = await kit.repo.create(client, { url: `${rx.url}/`, events: ['message.sent'] });
    await kit.publishStatus({ message_id: newId(), status: 'sent', submitted_by: `client:${client}` });
    await eventually(() => rx.calls.length >= 1, { what: 'the first (failing) attempt' });
    const [pending] = await eventually(
      async () => {
        const list = await kit.store.list(wh.webhook_id, { limit: 1 });
        return list[0]?.attempt_count === 1 ? list : undefined;
      },
      { what: 'the retry to be scheduled' },
    );
    expect(pending!.state).toBe('pending');

    // Shut down while the retry waits (1.5 s), then start another worker on the same stores and topics.
    await kit.worker.stop();
    expect(rx.calls).toHaveLength(1);
    next = createNotifyWorker({
      infra: kit.infra,
      logger: createLogger({ service: 'notify-test-2', level: 'silent' }),
      registry: new Registry(),
      resolver: kit.resolver,
      settings: {
        allowHttp: true,
        allowedCidrs: ['127.0.0.1/32'],
        timeoutMs: 2_000,
        disableAfterMs: 3_600_000,
        responseMaxBytes: 256,
        maxInFlight: 8,
        maxInFlightPerEndpoint: 2,
        maxHeld: 1_000,
        pollIntervalMs: 50,
        retentionMs: 86_400_000,
        drainMs: 1_000,
        reorderWindowMs: 0,
        retry: { delaysMs: [1_500], jitter: 0 },
        recoveryIntervalMs: 300,
      },
    });
    await next.start();

    await eventually(() => rx.calls.length >= 2, { what: 'the retry by the next worker', timeoutMs: 20_000 });
    expect(rx.calls[1]!.headers['webhook-id']).toBe(rx.calls[0]!.headers['webhook-id']);
    // Not before it was due.
    expect(rx.calls[1]!.receivedAt - rx.calls[0]!.receivedAt).toBeGreaterThanOrEqual(1_400);
    const done = await eventually(
      async () => {
        const d = await kit.store.get(wh.webhook_id, pending!.delivery_id);
        return d?.state === 'succeeded' ? d : undefined;
      },
      { what: 'the delivery to be logged as succeeded' },
    );
    expect(done.attempts.map((a) => a.status_code)).toEqual([500, 200]);
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.calls).toHaveLength(2);
  });
});
