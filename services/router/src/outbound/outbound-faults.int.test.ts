import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BreakerState } from '@hub/connectors';
import { eventually } from '../../../../test/support/spawn-service';
import { startOutboundFixture, type OutboundFixture } from '../../test/outbound-fixture';
import { ChannelHandOverRouter, PendingHandOver, type DeliveryRequest } from '../ports/hand-over';

describe('external delivery under provider faults (real stack, fake Telegram Bot API)', () => {
  let f: OutboundFixture;
  beforeAll(async () => {
    // Production defaults for backoff (1-2-4-8 s, 5 attempts), breaker reset (5 s) and Telegram's 1 msg/s per chat.
    f = await startOutboundFixture({ CONNECTOR_BREAKER_RESET_MS: '5000' });
  });
  afterAll(() => f?.stop());

  it('Telegram answering 500 for 10 s: every message is delivered exactly once after recovery, in order per chat, and the breaker opens then closes', async () => {
    const telegram = f.ext.connectors.get('telegram')!;
    const states: BreakerState[] = [];
    telegram.onBreakerStateChange((s) => states.push(s));
    const chats = ['6001', '6002', '6003'];
    const users = ['hana', 'ivan', 'jade'];
    for (const [i, u] of users.entries()) await f.link(u, 'telegram', chats[i]!);
    const conversations = users.map(() => randomUUID());

    f.fake.failFor(10_000, 500);
    const outageEnds = Date.now() + 10_000;
    // Four messages per chat, one round every 1.5 s while Telegram is down, each round one routing batch.
    for (let seq = 1; seq <= 4; seq++) {
      const batch = users.map((u, i) =>
        f.request(f.message(conversations[i]!, seq, { type: 'text', text: `${u} #${seq}` }, [u]), u, 'telegram'),
      );
      const outcomes = await f.ext.handOver.deliver(batch);
      expect(outcomes.every((o) => o.kind === 'retry')).toBe(true);
      await new Promise((r) => setTimeout(r, 1_500));
    }
    expect(states).toContain('open');
    expect(chats.every((c) => f.fake.textsTo(c).length === 0)).toBe(true);

    await eventually(() => chats.every((c) => f.fake.textsTo(c).length >= 4), {
      what: 'all twelve messages delivered',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    await new Promise((r) => setTimeout(r, 2_000));
    for (const [i, u] of users.entries()) expect(f.fake.textsTo(chats[i]!)).toEqual([1, 2, 3, 4].map((n) => `${u} #${n}`));
    // Nothing got through while the outage lasted.
    const firstSuccess = Math.min(
      ...f.fake
        .sent('sendMessage')
        .filter((c) => chats.includes(String(c.params.chat_id)))
        .map((c) => c.at),
    );
    expect(firstSuccess).toBeGreaterThanOrEqual(outageEnds - 50);
    expect(states[0]).toBe('open');
    expect(states.at(-1)).toBe('closed');
    expect(telegram.breakerState()).toBe('closed');
    // While open, the breaker answered without calling Telegram: far fewer calls than deliveries tried.
    const callsDuringOutage = f.fake.calls.filter((c) => c.status === 500).length;
    expect(callsDuringOutage).toBeLessThan(12);
    expect(f.deadLetterRecords).toHaveLength(0);
    await eventually(() => f.statuses.filter((s) => s.status === 'sent' && users.includes(s.recipient)).length >= 12, {
      what: 'sent statuses',
      timeoutMs: 10_000,
    });
  }, 120_000);

  it('while Telegram is down, WhatsApp and internal deliveries in the same batches keep their latency', async () => {
    await f.link('kim', 'telegram', '6101');
    await f.link('kim', 'whatsapp', '4915100006101');
    const external = f.ext.handOver;
    const router = new ChannelHandOverRouter({ telegram: external, whatsapp: external, internal: new PendingHandOver('offline') });
    const conv = randomUUID();
    let seq = 0;
    const batch = (): DeliveryRequest[] => {
      const m = f.message(conv, ++seq, { type: 'text', text: `m${seq}` }, ['kim']);
      return [{ message: m, recipient: 'kim', channel: 'internal' }, f.request(m, 'kim', 'whatsapp'), f.request(m, 'kim', 'telegram')];
    };
    const measure = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const started = performance.now();
        const outcomes = await router.deliver(batch());
        out.push(performance.now() - started);
        expect(outcomes[0]).toMatchObject({ kind: 'pending' });
        expect(outcomes[1]).toMatchObject({ kind: 'sent' });
        // Stay under Telegram's per-chat rate so the healthy case measures sends, not rate-limit deferrals.
        await new Promise((r) => setTimeout(r, 1_050));
      }
      return out;
    };
    const healthy = await measure(8);
    f.fake.failFor(60_000, 500);
    const down = await measure(8);
    f.fake.heal();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `routing batch latency (internal + whatsapp + telegram): healthy median ${median(healthy).toFixed(1)} ms, telegram down median ${median(down).toFixed(1)} ms; down: ${down.map((x) => x.toFixed(0)).join(', ')} ms`,
    );
    expect(f.ext.connectors.get('telegram')!.breakerState()).not.toBe('closed');
    expect(median(down)).toBeLessThanOrEqual(Math.max(3 * median(healthy), median(healthy) + 100));
    const whatsapp = f.ext.connectors.get('whatsapp')!.connector as unknown as { sent: Array<{ to: string }> };
    expect(whatsapp.sent.filter((s) => s.to === '4915100006101')).toHaveLength(16);
  }, 60_000);
});
