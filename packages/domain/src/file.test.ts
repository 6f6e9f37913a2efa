import { describe, expect, it } from 'vitest';
import { fileUnusableReason, Sha256HexSchema, type FileView } from './file';

const file = (over: Partial<FileView> = {}): FileView => ({
  file_id: '0190f0a0-0000-7000-8000-000000000001',
  filename: 'a.pdf',
  size: 10,
  content_type: 'application/pdf',
  sha256: 'a'.repeat(64),
  status: 'completed',
  conversation_id: 'c1',
  uploaded_by: 'user:alice',
  ...over,
});

describe('fileUnusableReason', () => {
  it('allows a completed file in the conversation it was uploaded for, whoever sends it', () => {
    expect(fileUnusableReason(file(), 'c1')).toBeUndefined();
    expect(fileUnusableReason(file({ uploaded_by: 'user:bob' }), 'c1')).toBeUndefined();
  });
  it('refuses missing, foreign-conversation, conversation-less and unfinished files, saying why', () => {
    expect(fileUnusableReason(undefined, 'c1')).toMatch(/no such file/);
    expect(fileUnusableReason(file(), 'c2')).toBe(fileUnusableReason(undefined, 'c2'));
    expect(fileUnusableReason(file({ conversation_id: undefined }), 'c1')).toMatch(/conversation_id/);
    expect(fileUnusableReason(file({ status: 'uploading' }), 'c1')).toMatch(/uploading/);
    expect(fileUnusableReason(file({ status: 'failed' }), 'c1')).toMatch(/failed/);
  });
});

describe('Sha256HexSchema', () => {
  it('accepts 64 hex digits in either case and lower-cases them', () => {
    expect(Sha256HexSchema.parse('AB'.repeat(32))).toBe('ab'.repeat(32));
  });
  it('refuses other lengths and non-hex digits', () => {
    expect(Sha256HexSchema.safeParse('a'.repeat(63)).success).toBe(false);
    expect(Sha256HexSchema.safeParse('g'.repeat(64)).success).toBe(false);
  });
});
