import { describe, expect, it } from 'vitest';
import { PermanentError, TransientError, type StoredMessage } from '@hub/domain';
import { ChannelHandOverRouter, outcomeStatus, PendingHandOver, type ChannelHandOver, type DeliveryRequest } from './hand-over';

const message: StoredMessage = {
  message_id: '0190f5c4-0000-7000-8000-000000000001',
  conversation_id: '0190f5c4-0000-7000-8000-0000000000c1',
  from: 'alice',
  to: ['bob', 'carol'],
  channels: ['internal', 'telegram'],
  payload: { type: 'text', text: 'hi' },
  source: 'api',
  accepted_at: new Date(0).toISOString(),
  submitted_by: 'user:alice',
  sequence_number: 1,
  stored_at: new Date(1).toISOString(),
};

const req = (recipient: string, channel: DeliveryRequest['channel']): DeliveryRequest => ({ message, recipient, channel });

describe('ChannelHandOverRouter', () => {
  it('marks recipients pending where no channel delivery is registered', async () => {
    const router = new ChannelHandOverRouter();
    const out = await router.deliver([req('bob', 'internal'), req('carol', 'telegram')]);
    expect(out.map(outcomeStatus)).toEqual(['pending', 'pending']);
  });

  it('hands each channel its own requests and puts the outcomes back in request order', async () => {
    const seen: string[] = [];
    const internal: ChannelHandOver = {
      deliver: async (rs) => {
        seen.push(...rs.map((r) => `${r.channel}:${r.recipient}`));
        return rs.map((r) => ({ kind: 'sent', externalId: `ws-${r.recipient}` }));
      },
    };
    const router = new ChannelHandOverRouter({ internal });
    const out = await router.deliver([req('bob', 'telegram'), req('bob', 'internal'), req('carol', 'internal')]);
    expect(seen).toEqual(['internal:bob', 'internal:carol']);
    expect(out).toEqual([
      { kind: 'pending', detail: 'no live delivery for this channel' },
      { kind: 'sent', externalId: 'ws-bob' },
      { kind: 'sent', externalId: 'ws-carol' },
    ]);
  });

  it('turns a throwing channel into retry or failed outcomes without touching the other channels', async () => {
    const router = new ChannelHandOverRouter({
      telegram: { deliver: async () => Promise.reject(new TransientError('telegram unreachable', 2_000)) },
      whatsapp: { deliver: async () => Promise.reject(new PermanentError('no mapping for bob', 'no_mapping')) },
      internal: new PendingHandOver('offline'),
    });
    const out = await router.deliver([req('bob', 'telegram'), req('bob', 'whatsapp'), req('bob', 'internal')]);
    expect(out).toEqual([
      { kind: 'retry', detail: 'telegram unreachable', retryAfterMs: 2_000 },
      { kind: 'failed', reason: 'no_mapping', detail: 'no mapping for bob' },
      { kind: 'pending', detail: 'offline' },
    ]);
    expect(out.map(outcomeStatus)).toEqual(['retrying', 'failed', 'pending']);
  });

  it('fails a channel that breaks the one-outcome-per-request contract', async () => {
    const router = new ChannelHandOverRouter({ internal: { deliver: async () => [] } });
    const [out] = await router.deliver([req('bob', 'internal')]);
    expect(out).toMatchObject({ kind: 'failed', reason: 'delivery_contract' });
  });
});
