import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '@hub/domain';
import { messageFrame } from './server-frames';

const base: StoredMessage = {
  message_id: '0190f0a0-0000-7000-8000-000000000001',
  conversation_id: '0190f0a0-0000-7000-8000-0000000000c1',
  from: 'alice',
  to: ['bob'],
  channels: ['internal'],
  payload: { type: 'text', text: 'hi' },
  source: 'api',
  accepted_at: '2026-01-01T00:00:00.000Z',
  submitted_by: 'user:alice',
  sequence_number: 7,
  stored_at: '2026-01-01T00:00:00.100Z',
};

describe('messageFrame', () => {
  it('carries the file details of a file message', () => {
    const file = {
      file_id: '0190f0a0-0000-7000-8000-0000000000f1',
      filename: 'report.pdf',
      size: 1234,
      content_type: 'application/pdf',
      sha256: 'a'.repeat(64),
    };
    const frame = messageFrame({ ...base, payload: { type: 'file', file_id: file.file_id, caption: 'Q3' }, file });
    expect(frame).toMatchObject({ payload: { type: 'file', file_id: file.file_id, caption: 'Q3' }, file, sequence_number: 7 });
  });
  it('has no file field on text messages', () => {
    expect(messageFrame(base)).not.toHaveProperty('file');
  });
});
