import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDeadLetter, RetryScheduler, deliveryId } from '@hub/outbound';
import { buildStatusView, newId } from '@hub/domain';
import { eventually } from '../../../../test/support/spawn-service';
import { startOutboundFixture, type OutboundFixture } from '../../test/outbound-fixture';

describe('external delivery through connectors (real stack, fake Telegram Bot API)', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    f = await startOutboundFixture({ TELEGRAM_RATE_PER_CHAT_PER_S: '5' });
  });
  afterAll(() => f?.stop());

  it('delivers a text to the mapped chat once, with the right text, and does not send it again on a re-run', async () => {
    await f.link('bob', 'telegram', '5001');
    const m = f.message(randomUUID(), 1, { type: 'text', text: 'Hello Bob 👋' });
    const [outcome] = await f.ext.handOver.deliver([f.request(m, 'bob', 'telegram')]);
    const call = f.fake.sent('sendMessage').find((c) => String(c.params.chat_id) === '5001');
    expect(outcome).toEqual({ kind: 'sent', externalId: String(call!.result!.message_id) });
    expect(f.fake.textsTo(5001)).toEqual(['Hello Bob 👋']);
    expect(await f.ledger.get(deliveryId(m.message_id, 'bob', 'telegram'))).toMatchObject({
      state: 'delivered',
      external_id: outcome!.kind === 'sent' ? outcome!.externalId : '',
    });
    // The router re-runs routing for a message after a crash: answered from the ledger, not sent twice.
    const [again] = await f.ext.handOver.deliver([f.request(m, 'bob', 'telegram')]);
    expect(again).toEqual(outcome);
    expect(f.fake.textsTo(5001)).toEqual(['Hello Bob 👋']);
  });

  it('sends a file message as sendDocument with a presigned link Telegram can fetch', async () => {
    await f.link('carol', 'telegram', '5002');
    const fileId = newId();
    const body = Buffer.from('%PDF-1.4 quarterly report');
    const key = `files/${fileId}`;
    const put = await fetch(await f.objects.presignPut(key, 60), { method: 'PUT', body });
    expect(put.ok).toBe(true);
    await f.mongo.db.collection('files').insertOne({
      file_id: fileId,
      status: 'completed',
      object_key: key,
      filename: 'report.pdf',
      size: body.byteLength,
      content_type: 'application/pdf',
    });
    const m = {
      ...f.message(randomUUID(), 1, { type: 'file', file_id: fileId, caption: 'Q3' }, ['carol']),
      file: { file_id: fileId, filename: 'report.pdf', size: body.byteLength, content_type: 'application/pdf', sha256: 'a'.repeat(64) },
    };
    const [outcome] = await f.ext.handOver.deliver([f.request(m, 'carol', 'telegram')]);
    expect(outcome).toMatchObject({ kind: 'sent' });
    const docs = f.fake.sent('sendDocument').filter((c) => String(c.params.chat_id) === '5002');
    expect(docs).toHaveLength(1);
    expect(docs[0]!.params.caption).toBe('Q3');
    expect(docs[0]!.document).toEqual({ source: 'url', bytes: body.byteLength, fetchStatus: 200 });
  });

  it('fails a recipient without a mapping as no_mapping into the dead-letter queue, and a replay after linking delivers it once', async () => {
    const m = f.message(randomUUID(), 1, { type: 'text', text: 'for dave, eventually' }, ['dave']);
    const [outcome] = await f.ext.handOver.deliver([f.request(m, 'dave', 'telegram')]);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'no_mapping' });
    const [dl] = (await f.deadLetters.list({ limit: 50, includeReplayed: false })).filter((d) => d.message.message_id === m.message_id);
    expect(dl).toMatchObject({ recipient: 'dave', channel: 'telegram', reason: 'no_mapping', attempts: 0 });
    await eventually(() => f.deadLetterRecords.some((d) => d.id === dl!.id), { what: 'dead letter on hub.dlq.v1', timeoutMs: 10_000 });

    await f.link('dave', 'telegram', '5003');
    const scheduler = new RetryScheduler({ ledger: f.ledger, deadLetters: f.deadLetters, publisher: f.producer });
    const replays = await Promise.all(
      [1, 2].map(() => replayDeadLetter(dl!.id, 'client:admin', { ledger: f.ledger, deadLetters: f.deadLetters, scheduler })),
    );
    expect(replays.map((r) => r!.outcome).sort()).toEqual(['already_replayed', 'replayed']);
    await eventually(() => f.fake.textsTo(5003).length === 1, { what: 'replayed delivery', timeoutMs: 15_000 });
    await eventually(
      () =>
        f.statuses.some((s) => s.message_id === m.message_id && s.status === 'sent' && s.detail === 'replayed from the dead-letter queue'),
      { what: 'sent status after replay', timeoutMs: 10_000 },
    );
    expect(await f.ledger.get(deliveryId(m.message_id, 'dave', 'telegram'))).toMatchObject({ state: 'delivered', generation: 1 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(f.fake.textsTo(5003)).toEqual(['for dave, eventually']);
    // The replay reopened the failed status, so the status view follows the delivery to `sent`.
    const events = f.statuses.filter((s) => s.message_id === m.message_id && s.recipient === 'dave');
    expect(events.filter((s) => s.reopened)).toEqual([expect.objectContaining({ status: 'retrying', detail: 'replayed by client:admin' })]);
    const recorded = [
      { recipient: 'dave', channel: 'telegram' as const, status: 'failed' as const, at: dl!.failed_at },
      ...events.map((s) => ({
        recipient: s.recipient,
        channel: s.channel,
        status: s.status,
        at: s.occurred_at,
        ...(s.reopened ? { reopened: true } : {}),
      })),
    ];
    expect(buildStatusView({ ...m, to: ['dave'], channels: ['telegram'] }, recorded).recipients[0]!.status).toBe('sent');
  });

  it('fails a permanent provider error (chat not found) at once, after one attempt, into the dead-letter queue', async () => {
    await f.link('erin', 'telegram', '5004');
    f.fake.chatNotFound(5004);
    const m = f.message(randomUUID(), 1, { type: 'text', text: 'nobody home' }, ['erin']);
    const [outcome] = await f.ext.handOver.deliver([f.request(m, 'erin', 'telegram')]);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'chat_not_found' });
    expect(f.fake.calls.filter((c) => String(c.params.chat_id) === '5004')).toHaveLength(1);
    await eventually(() => f.deadLetterRecords.find((d) => d.message.message_id === m.message_id), {
      what: 'dead letter on hub.dlq.v1',
      timeoutMs: 10_000,
    });
    expect(f.deadLetterRecords.find((d) => d.message.message_id === m.message_id)).toMatchObject({
      reason: 'chat_not_found',
      attempts: 1,
      last_error: expect.stringContaining('chat not found'),
    });
    expect(f.retryRecords.some((r) => (r as { delivery_id: string }).delivery_id === deliveryId(m.message_id, 'erin', 'telegram'))).toBe(
      false,
    );
    f.fake.restoreChat(5004);
  });

  it('honours 429 retry_after: the retry waits at least that long, then delivers once', async () => {
    await f.link('frank', 'telegram', '5005');
    f.fake.rateLimitNext(1, 2, 5005);
    const m = f.message(randomUUID(), 1, { type: 'text', text: 'flood-controlled' }, ['frank']);
    const [outcome] = await f.ext.handOver.deliver([f.request(m, 'frank', 'telegram')]);
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect((outcome as { retryAfterMs: number }).retryAfterMs).toBeGreaterThanOrEqual(2_000);
    await eventually(() => f.fake.textsTo(5005).length === 1, { what: 'delivery after retry_after', timeoutMs: 15_000 });
    const calls = f.fake.calls.filter((c) => String(c.params.chat_id) === '5005');
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1_950);
    expect(f.ext.connectors.get('telegram')!.breakerState()).toBe('closed');
  });

  it('keeps the order within a lane: a later message waits behind an earlier one that is being retried', async () => {
    await f.link('gina', 'telegram', '5006');
    const conv = randomUUID();
    f.fake.failNext(1, 500);
    const [m1, m2, m3] = [1, 2, 3].map((seq) => f.message(conv, seq, { type: 'text', text: `in order ${seq}` }, ['gina']));
    const outcomes = await f.ext.handOver.deliver([f.request(m1!, 'gina', 'telegram'), f.request(m2!, 'gina', 'telegram')]);
    expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry']);
    const [o3] = await f.ext.handOver.deliver([f.request(m3!, 'gina', 'telegram')]);
    expect(o3).toMatchObject({ kind: 'retry', detail: expect.stringContaining('waiting for an earlier message') });
    await eventually(() => f.fake.textsTo(5006).length === 3, { what: 'three deliveries', timeoutMs: 20_000 });
    expect(f.fake.textsTo(5006)).toEqual(['in order 1', 'in order 2', 'in order 3']);
  });
});
