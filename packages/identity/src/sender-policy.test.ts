import { describe, expect, it } from 'vitest';
import type { Principal } from '@hub/domain';
import { maySendAs, sendAsRefusal } from './sender-policy';

const alice: Principal = { kind: 'user', subject: 'alice', scopes: ['messages:send'], sessionId: 's' };
const crm: Principal = { kind: 'client', subject: 'c1', scopes: ['messages:send'], senderName: 'crm-bot' };
const reader: Principal = { kind: 'client', subject: 'c2', scopes: ['messages:read'] };

describe('who may send as whom', () => {
  it('a user only as themselves', () => {
    expect(maySendAs(alice, 'alice')).toBe(true);
    expect(maySendAs(alice, 'bob')).toBe(false);
    expect(sendAsRefusal(alice, 'bob')).toContain('only send as its own user');
  });
  it('a client as any user or its sender name', () => {
    expect(maySendAs(crm, 'bob')).toBe(true);
    expect(maySendAs(crm, 'crm-bot')).toBe(true);
    expect(sendAsRefusal(crm, 'bob')).toBeUndefined();
  });
  it('nobody without messages:send', () => {
    expect(maySendAs(reader, 'bob')).toBe(false);
    expect(maySendAs({ ...alice, scopes: ['messages:read'] }, 'alice')).toBe(false);
    expect(sendAsRefusal(reader, 'bob')).toContain('messages:send');
  });
});
