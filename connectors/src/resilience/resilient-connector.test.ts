import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegramServer } from '../../../test/support/fake-telegram-server';
import type { Connector } from '../connector';
import { createWhatsAppMock } from '../mocks/whatsapp.mock';
import type { MockConnector } from '../mocks/mock.connector';
import { TelegramConnector } from '../telegram/telegram.connector';
import { ConnectorMetrics, type BreakerState } from './connector-metrics';
import { FlexibleRateLimiter, type ConnectorRateLimiter } from './rate-limiter';
import { ResilientConnector, type ResilienceSettings } from './resilient-connector';

const BREAKER = { errorThresholdPercentage: 50, volumeThreshold: 4, rollingWindowMs: 10_000, resetTimeoutMs: 300 };
const settings = (over: Partial<ResilienceSettings> = {}): ResilienceSettings => ({
  timeoutMs: 2_000,
  maxRateWaitMs: 0,
  breaker: BREAKER,
  ...over,
});

/** Counts the calls that reach the provider, to prove an open breaker does not call it. */
function counting(inner: Connector): Connector & { calls: number } {
  const c = {
    calls: 0,
    channel: inner.channel,
    capabilities: inner.capabilities,
    send: (m: Parameters<Connector['send']>[0], o?: Parameters<Connector['send']>[1]) => {
      c.calls++;
      return inner.send(m, o);
    },
    sendFile: (m: Parameters<Connector['sendFile']>[0], o?: Parameters<Connector['sendFile']>[1]) => {
      c.calls++;
      return inner.sendFile(m, o);
    },
    parseInbound: (b: unknown) => inner.parseInbound(b),
    health: () => inner.health(),
  };
  return c;
}

describe('resilience wrapper: circuit breaker', () => {
  const wrappers: ResilientConnector[] = [];
  afterEach(async () => {
    await Promise.all(wrappers.splice(0).map((w) => w.close()));
  });

  function setup(): {
    mock: MockConnector;
    spy: Connector & { calls: number };
    wrapper: ResilientConnector;
    states: BreakerState[];
    registry: Registry;
  } {
    const mock = createWhatsAppMock();
    const spy = counting(mock);
    const registry = new Registry();
    const wrapper = new ResilientConnector(spy, settings(), { metrics: ConnectorMetrics.for(registry) });
    wrappers.push(wrapper);
    const states: BreakerState[] = [];
    wrapper.onBreakerStateChange((s) => states.push(s));
    return { mock, spy, wrapper, states, registry };
  }
  const to = '4915112345678';

  it('opens after transient failures, fails fast without calling the provider, probes half-open, and closes after recovery', async () => {
    const { mock, spy, wrapper, states, registry } = setup();
    mock.setDown(true);
    for (let i = 0; i < 4; i++)
      expect(await wrapper.deliver({ to, text: `f${i}` })).toMatchObject({
        outcome: 'retryable',
        reason: 'provider_error',
        attempted: true,
      });
    expect(wrapper.breakerState()).toBe('open');
    expect(await registry.getSingleMetricAsString('connector_breaker_state')).toContain('connector_breaker_state{connector="whatsapp"} 2');

    const callsWhenOpened = spy.calls;
    const fast = await wrapper.deliver({ to, text: 'while open' });
    expect(fast).toMatchObject({ outcome: 'retryable', reason: 'breaker_open', attempted: false });
    expect((fast as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(BREAKER.resetTimeoutMs);
    expect(spy.calls).toBe(callsWhenOpened);

    mock.setDown(false);
    await sleep(BREAKER.resetTimeoutMs + 50);
    expect(wrapper.breakerState()).toBe('half_open');
    expect(await wrapper.deliver({ to, text: 'probe' })).toMatchObject({ outcome: 'delivered' });
    expect(spy.calls).toBe(callsWhenOpened + 1);
    expect(wrapper.breakerState()).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
    expect(mock.sent.map((s) => s.text)).toEqual(['probe']);
    expect(await registry.getSingleMetricAsString('connector_calls_total')).toMatch(
      /connector_calls_total\{connector="whatsapp",result="breaker_open"\} 1/,
    );
  });

  it('lets only one probe through while half-open, and reopens when it fails', async () => {
    const { mock, spy, wrapper, states } = setup();
    mock.setDown(true);
    for (let i = 0; i < 4; i++) await wrapper.deliver({ to, text: `f${i}` });
    await sleep(BREAKER.resetTimeoutMs + 50);
    const before = spy.calls;
    const [probe, other] = await Promise.all([wrapper.deliver({ to, text: 'probe' }), wrapper.deliver({ to, text: 'second' })]);
    expect(spy.calls).toBe(before + 1);
    expect(probe).toMatchObject({ outcome: 'retryable', reason: 'provider_error' });
    expect(other).toMatchObject({ outcome: 'retryable', reason: 'breaker_open' });
    expect(wrapper.breakerState()).toBe('open');
    expect(states).toEqual(['open', 'half_open', 'open']);
  });

  it('does not open on permanent failures (a bad recipient says nothing about the provider)', async () => {
    const { mock, wrapper } = setup();
    mock.refuseRecipient(to, 'recipient_unknown');
    for (let i = 0; i < 10; i++)
      expect(await wrapper.deliver({ to, text: `p${i}` })).toEqual({
        outcome: 'permanent',
        reason: 'recipient_unknown',
        error: expect.any(String),
      });
    expect(wrapper.breakerState()).toBe('closed');
    expect(await wrapper.deliver({ to: '4915100000001', text: 'fine' })).toMatchObject({ outcome: 'delivered' });
  });

  it('aborts a call past its deadline and reports a timeout', async () => {
    const mock = createWhatsAppMock({ latencyMs: { min: 400, max: 400 } });
    const wrapper = new ResilientConnector(mock, settings({ timeoutMs: 50 }));
    wrappers.push(wrapper);
    expect(await wrapper.deliver({ to, text: 'slow' })).toMatchObject({ outcome: 'retryable', reason: 'timeout', attempted: true });
    await sleep(450);
    // The abandoned call was aborted, so the provider never recorded it as sent.
    expect(mock.sent).toHaveLength(0);
  });
});

describe('resilience wrapper: rate limits', () => {
  it('waits inline for a short delay and defers a long one without calling the provider', async () => {
    const mock = createWhatsAppMock();
    const spy = counting(mock);
    const limiter = new FlexibleRateLimiter('t-inline', { perRecipient: { points: 1, durationMs: 400 } });
    const patient = new ResilientConnector(spy, settings({ rateLimiter: limiter, maxRateWaitMs: 1_000 }));
    expect(await patient.deliver({ to: '4915112345678', text: 'a' })).toMatchObject({ outcome: 'delivered' });
    expect(await patient.deliver({ to: '4915112345678', text: 'b' })).toMatchObject({ outcome: 'delivered' });
    expect(mock.sent.map((s) => s.text)).toEqual(['a', 'b']);
    const impatient = new ResilientConnector(spy, settings({ rateLimiter: limiter, maxRateWaitMs: 0 }));
    const before = spy.calls;
    const deferred = await impatient.deliver({ to: '4915112345678', text: 'c' });
    expect(deferred).toMatchObject({ outcome: 'retryable', reason: 'rate_limited', attempted: false });
    expect((deferred as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect((deferred as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(400);
    expect(spy.calls).toBe(before);
    // Another recipient has its own budget.
    expect(await impatient.deliver({ to: '4915100000002', text: 'd' })).toMatchObject({ outcome: 'delivered' });
    await Promise.all([patient.close(), impatient.close()]);
  });

  it('caps the overall rate across recipients', async () => {
    const mock = createWhatsAppMock();
    const wrapper = new ResilientConnector(
      mock,
      settings({ rateLimiter: new FlexibleRateLimiter('t-overall', { overall: { points: 3, durationMs: 1_000 } }) }),
    );
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await wrapper.deliver({ to: `49151000000${i}`, text: `m${i}` }));
    expect(results.map((r) => r.outcome)).toEqual(['delivered', 'delivered', 'delivered', 'retryable', 'retryable']);
    await wrapper.close();
  });

  it('lets calls through when the limiter store fails (the provider still protects itself with 429)', async () => {
    const broken: ConnectorRateLimiter = {
      admit: () => Promise.reject(new Error('redis down')),
      blockRecipient: () => Promise.reject(new Error('redis down')),
    };
    const wrapper = new ResilientConnector(createWhatsAppMock(), settings({ rateLimiter: broken }));
    expect(await wrapper.deliver({ to: '4915112345678', text: 'x' })).toMatchObject({ outcome: 'delivered' });
    await wrapper.close();
  });
});

describe('resilience wrapper around Telegram (fake Bot API server)', () => {
  let fake: FakeTelegramServer;
  beforeAll(async () => {
    fake = await FakeTelegramServer.start();
  });
  afterAll(() => fake.close());
  afterEach(() => fake.heal());

  it('honours 429 retry_after for that chat only, without calling Telegram meanwhile, and keeps the breaker closed', async () => {
    const wrapper = new ResilientConnector(
      new TelegramConnector({ token: fake.token, apiRoot: fake.apiRoot }),
      settings({ rateLimiter: new FlexibleRateLimiter('t-429', {}) }),
    );
    fake.rateLimitNext(1, 1, 700);
    const first = await wrapper.deliver({ to: '700', text: 'flood 1' });
    expect(first).toMatchObject({ outcome: 'retryable', reason: 'provider_rate_limited', retryAfterMs: 1_000, attempted: true });
    const callsAfter429 = fake.calls.length;
    const held = await wrapper.deliver({ to: '700', text: 'flood 2' });
    expect(held).toMatchObject({ outcome: 'retryable', reason: 'rate_limited', attempted: false });
    expect(fake.calls.length).toBe(callsAfter429);
    expect(await wrapper.deliver({ to: '701', text: 'other chat' })).toMatchObject({ outcome: 'delivered' });
    await sleep((held as { retryAfterMs: number }).retryAfterMs + 20);
    expect(await wrapper.deliver({ to: '700', text: 'flood 2' })).toMatchObject({ outcome: 'delivered' });
    expect(fake.textsTo(700)).toEqual(['flood 2']);
    expect(wrapper.breakerState()).toBe('closed');
    await wrapper.close();
  });

  it('opens on 5xx, stops calling Telegram while open, and closes once Telegram answers again', async () => {
    const wrapper = new ResilientConnector(new TelegramConnector({ token: fake.token, apiRoot: fake.apiRoot }), settings());
    const states: BreakerState[] = [];
    wrapper.onBreakerStateChange((s) => states.push(s));
    fake.failFor(60_000, 500);
    for (let i = 0; i < 4; i++) await wrapper.deliver({ to: '800', text: `down ${i}` });
    expect(wrapper.breakerState()).toBe('open');
    const calls = fake.calls.length;
    for (let i = 0; i < 20; i++) expect(await wrapper.deliver({ to: '800', text: 'fast fail' })).toMatchObject({ reason: 'breaker_open' });
    expect(fake.calls.length).toBe(calls);
    fake.heal();
    await sleep(BREAKER.resetTimeoutMs + 50);
    expect(await wrapper.deliver({ to: '800', text: 'back' })).toMatchObject({ outcome: 'delivered' });
    expect(states).toEqual(['open', 'half_open', 'closed']);
    expect(fake.textsTo(800)).toEqual(['back']);
    await wrapper.close();
  });
});
