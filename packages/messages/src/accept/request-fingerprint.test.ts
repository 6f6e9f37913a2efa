import { SendMessageRequestSchema } from '@hub/domain';
import { describe, expect, it } from 'vitest';
import { requestFingerprint } from './request-fingerprint';

const conv = '0190a0a0-0000-7000-8000-000000000001';
const parse = (body: unknown) => SendMessageRequestSchema.parse(body);

describe('requestFingerprint', () => {
  it('is the same for the same request, whatever its key order, message_id or defaults spelled out', () => {
    const a = parse({
      message_id: '0190a0a0-0000-7000-8000-00000000000a',
      conversation_id: conv,
      from: 'alice',
      payload: { type: 'text', text: 'hi' },
    });
    const b = parse({ payload: { text: 'hi', type: 'text' }, from: 'alice', conversation_id: conv, channels: ['internal'] });
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
  });

  it('differs when anything the message says differs', () => {
    const base = { conversation_id: conv, from: 'alice', payload: { type: 'text', text: 'hi' } };
    const fp = requestFingerprint(parse(base));
    expect(requestFingerprint(parse({ ...base, payload: { type: 'text', text: 'hi!' } }))).not.toBe(fp);
    expect(requestFingerprint(parse({ ...base, from: 'bob' }))).not.toBe(fp);
    expect(requestFingerprint(parse({ ...base, to: ['carol'] }))).not.toBe(fp);
    expect(requestFingerprint(parse({ ...base, conversation_id: '0190a0a0-0000-7000-8000-000000000002' }))).not.toBe(fp);
  });
});
