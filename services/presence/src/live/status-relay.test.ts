import { describe, expect, it } from 'vitest';
import { createLogger, type ConsumedRecord } from '@hub/platform';
import type { Fanout } from '@hub/push';
import type { ServerFrame } from '../ws/frames';
import { StatusRelay } from './status-relay';

function record(status: string, recipient = 'bob'): ConsumedRecord {
  const payload = {
    message_id: 'm1',
    conversation_id: 'c1',
    recipient,
    channel: 'internal',
    status,
    from: 'alice',
    submitted_by: 'user:alice',
    occurred_at: '',
  };
  return {
    topic: 'hub.status.v1',
    partition: 0,
    offset: '0',
    key: 'c1',
    timestamp: 0,
    headers: {},
    traceContext: undefined as never,
    envelope: { type: 'message.status', version: 1, id: 'e', occurred_at: '', payload },
  };
}

describe('status relay', () => {
  it('sends each status to the sender once and never a step backwards', async () => {
    const sent: Array<{ users: readonly string[]; frame: ServerFrame }> = [];
    const fanout = {
      many: async (items: Array<{ users: readonly string[]; frame: ServerFrame }>) => items.map((i) => (sent.push(i), new Set(i.users))),
    } as unknown as Fanout;
    const relay = new StatusRelay(fanout, createLogger({ service: 'test', level: 'silent' }));
    await relay.handle([
      record('pending'),
      record('sent'),
      record('read'),
      record('delivered'),
      record('sent'),
      record('read'),
      record('sent', 'carol'),
    ]);
    expect(sent.map((s) => [s.users, (s.frame.d as { recipient: string }).recipient, (s.frame.d as { status: string }).status])).toEqual([
      [['alice'], 'bob', 'pending'],
      [['alice'], 'bob', 'sent'],
      [['alice'], 'bob', 'read'],
      [['alice'], 'carol', 'sent'],
    ]);
  });
});
