import { describe, expect, it } from 'vitest';
import type { ConversationAcceptances } from '@hub/messages';
import { SenderAcceptances } from './sender-acceptances';

class Recording implements ConversationAcceptances {
  calls: Array<[string, string, string]> = [];
  failNext = false;
  async accept(c: string, u: string, at: string): Promise<boolean> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store down');
    }
    this.calls.push([c, u, at]);
    return true;
  }
  async hasAccepted(): Promise<boolean> {
    return false;
  }
}

const msg = (conversation_id: string, from: string, accepted_at = '2026-12-07T10:00:00.000Z') => ({ conversation_id, from, accepted_at });

describe('sender acceptances', () => {
  it('mark each sender once per conversation, with the first message’s time', async () => {
    const store = new Recording();
    const senders = new SenderAcceptances(store, 100);
    await senders.record([msg('c1', 'bob', 't1'), msg('c1', 'bob', 't2'), msg('c1', 'ann'), msg('c2', 'bob', 't3')]);
    expect(store.calls).toEqual([
      ['c1', 'bob', 't1'],
      ['c1', 'ann', '2026-12-07T10:00:00.000Z'],
      ['c2', 'bob', 't3'],
    ]);
    await senders.record([msg('c1', 'bob'), msg('c2', 'bob')]);
    expect(store.calls).toHaveLength(3);
  });

  it('fail the batch when the store does, and try again next time', async () => {
    const store = new Recording();
    const senders = new SenderAcceptances(store, 100);
    store.failNext = true;
    await expect(senders.record([msg('c1', 'bob')])).rejects.toThrow('store down');
    await senders.record([msg('c1', 'bob')]);
    expect(store.calls).toEqual([['c1', 'bob', '2026-12-07T10:00:00.000Z']]);
  });
});
