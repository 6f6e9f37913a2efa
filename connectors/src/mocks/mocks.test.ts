import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '@hub/domain';
import { runConnectorContract, type ContractHarness } from '../../test/connector-contract';
import { createInstagramMock } from './instagram.mock';
import { createMessengerMock } from './messenger.mock';
import type { MockConnector } from './mock.connector';
import { createWhatsAppMock } from './whatsapp.mock';

function harness(
  mock: MockConnector,
  ids: { recipient: string; other: string; unknown: string },
  unsupported: (eventId: string) => unknown,
): ContractHarness {
  return {
    connector: mock,
    recipient: ids.recipient,
    otherRecipient: ids.other,
    unknownRecipient: ids.unknown,
    malformedRecipient: 'not an id!',
    delivered: (to) =>
      mock.sent
        .filter((s) => s.to === to)
        .map((s) => ({
          kind: s.kind,
          externalId: s.externalId,
          ...(s.text !== undefined ? { text: s.text } : {}),
          ...(s.file ? { filename: s.file.filename } : {}),
        })),
    refuseRecipient: (to) => mock.refuseRecipient(to),
    breakProvider: () => mock.setDown(true),
    restoreProvider: () => mock.setDown(false),
    inboundText: (from, text, eventId) => mock.simulateInbound(from, text, eventId),
    inboundUnsupported: unsupported,
    close: async () => {},
  };
}

runConnectorContract('WhatsApp mock', async () =>
  harness(
    createWhatsAppMock({ latencyMs: { min: 1, max: 3 } }),
    { recipient: '4915112345678', other: '4915187654321', unknown: '4915100000000' },
    (eventId) => ({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'w',
          changes: [{ field: 'messages', value: { messages: [{ from: '4915112345678', id: eventId, timestamp: '1', type: 'image' }] } }],
        },
      ],
    }),
  ),
);

const metaUnsupported = (object: string) => (eventId: string) => ({
  object,
  entry: [
    {
      id: 'p',
      time: 1,
      messaging: [{ sender: { id: '1000001' }, recipient: { id: 'p' }, timestamp: Number(eventId), read: { watermark: 1 } }],
    },
  ],
});

runConnectorContract('Messenger mock', async () =>
  harness(createMessengerMock(), { recipient: '1000001', other: '1000002', unknown: '1000009' }, metaUnsupported('page')),
);
runConnectorContract('Instagram mock', async () =>
  harness(
    createInstagramMock({ latencyMs: { min: 0, max: 2 } }),
    { recipient: '2000001', other: '2000002', unknown: '2000009' },
    metaUnsupported('instagram'),
  ),
);

describe('mock connectors', () => {
  async function outcomes(seed: number): Promise<string[]> {
    const mock = createWhatsAppMock({ seed, failureRate: 0.3, permanentFailureRate: 0.1 });
    const out: string[] = [];
    for (let i = 0; i < 200; i++) {
      out.push(
        await mock.send({ to: '4915112345678', text: `m${i}` }).then(
          () => 'ok',
          (e: unknown) => (e instanceof PermanentError ? 'permanent' : e instanceof TransientError ? 'transient' : 'other'),
        ),
      );
    }
    return out;
  }

  it('draw the same failures for the same seed, and the configured shares of them', async () => {
    const a = await outcomes(42);
    expect(await outcomes(42)).toEqual(a);
    expect(await outcomes(43)).not.toEqual(a);
    const count = (k: string) => a.filter((o) => o === k).length;
    expect(count('other')).toBe(0);
    // 200 draws: 30 % transient and 10 % permanent within a generous band.
    expect(count('transient')).toBeGreaterThan(35);
    expect(count('transient')).toBeLessThan(85);
    expect(count('permanent')).toBeGreaterThan(8);
    expect(count('permanent')).toBeLessThan(35);
  });

  it('simulate latency within the configured range', async () => {
    const mock = createMessengerMock({ latencyMs: { min: 30, max: 40 } });
    const started = performance.now();
    await mock.send({ to: '1000001', text: 'slow' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });

  it('parse a WhatsApp webhook with several messages into one event each, keeping the sender name', () => {
    const mock = createWhatsAppMock();
    const body = mock.simulateInbound('4915112345678', 'one', 'wamid.1') as {
      entry: Array<{ changes: Array<{ value: { messages: unknown[] } }> }>;
    };
    body.entry[0]!.changes[0]!.value.messages.push({
      from: '4915112345678',
      id: 'wamid.2',
      timestamp: '2',
      type: 'text',
      text: { body: 'two' },
    });
    const events = mock.parseInbound(body);
    expect(events.map((e) => (e.kind === 'text' ? e.text : e.kind))).toEqual(['one', 'two']);
    expect(events[0]).toMatchObject({ from: { externalId: '4915112345678', displayName: 'WhatsApp 4915112345678' }, eventId: 'wamid.1' });
  });

  it('send a link instead of a file larger than the channel takes', async () => {
    const mock = createInstagramMock();
    await mock.sendFile({
      to: '2000001',
      file: { filename: 'big.mov', size: 9 * 1024 * 1024, contentType: 'video/quicktime', url: 'http://127.0.0.1:1/big.mov' },
    });
    expect(mock.sent.at(-1)).toMatchObject({ kind: 'text', text: expect.stringContaining('http://127.0.0.1:1/big.mov') });
  });
});
