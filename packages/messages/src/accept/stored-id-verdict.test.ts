import { SendMessageRequestSchema, type StoredMessage } from '@hub/domain';
import { describe, expect, it } from 'vitest';
import { storedIdVerdict } from './stored-id-verdict';

const conv = '0190a0a0-0000-7000-8000-000000000001';
const other = '0190a0a0-0000-7000-8000-000000000002';
const id = '0190a0a0-0000-7000-8000-0000000000ff';
const stored: StoredMessage = {
  message_id: id,
  conversation_id: conv,
  from: 'alice',
  to: ['bob', 'carol'],
  channels: ['internal'],
  payload: { type: 'text', text: 'hi' },
  source: 'api',
  accepted_at: '2026-12-01T00:00:00.000Z',
  submitted_by: 'user:alice',
  sequence_number: 4,
  stored_at: '2026-12-01T00:00:01.000Z',
};
const req = (body: Record<string, unknown> = {}) =>
  SendMessageRequestSchema.parse({ message_id: id, conversation_id: conv, from: 'alice', payload: { type: 'text', text: 'hi' }, ...body });

describe('storedIdVerdict', () => {
  it('is free when nothing is stored under the id', () => {
    expect(storedIdVerdict(undefined, 'user:alice', req())).toBe('free');
  });

  it('is taken when the stored message was submitted by another caller, whatever the content', () => {
    expect(storedIdVerdict(stored, 'user:mallory', req())).toBe('taken');
    expect(storedIdVerdict(stored, 'client:crm', req())).toBe('taken');
  });

  it('is the repeat for the same caller and content, key order, the default channel and the defaulted recipients aside', () => {
    expect(storedIdVerdict(stored, 'user:alice', req())).toBe('repeat');
    expect(storedIdVerdict(stored, 'user:alice', req({ payload: { text: 'hi', type: 'text' }, channels: ['internal'] }))).toBe('repeat');
    expect(storedIdVerdict(stored, 'user:alice', req({ to: ['bob', 'carol'] }))).toBe('repeat');
  });

  it('is a mismatch for the same caller with other content: text, conversation, sender, named recipients or channels', () => {
    expect(storedIdVerdict(stored, 'user:alice', req({ payload: { type: 'text', text: 'hi!' } }))).toBe('mismatch');
    expect(storedIdVerdict(stored, 'user:alice', req({ conversation_id: other }))).toBe('mismatch');
    expect(storedIdVerdict({ ...stored, submitted_by: 'client:crm' }, 'client:crm', req({ from: 'bob' }))).toBe('mismatch');
    expect(storedIdVerdict(stored, 'user:alice', req({ to: ['bob'] }))).toBe('mismatch');
    expect(storedIdVerdict(stored, 'user:alice', req({ channels: ['internal', 'telegram'] }))).toBe('mismatch');
  });

  it('takes the sender as the owner of a message stored before submitted_by existed', () => {
    const legacy = { ...stored } as Partial<StoredMessage>;
    delete legacy.submitted_by;
    expect(storedIdVerdict(legacy as StoredMessage, 'user:alice', req())).toBe('repeat');
    expect(storedIdVerdict(legacy as StoredMessage, 'user:bob', req({ from: 'bob' }))).toBe('taken');
  });
});
