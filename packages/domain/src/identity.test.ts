import { describe, expect, it } from 'vitest';
import { principalRef } from './identity';

describe('principalRef', () => {
  it('names users and API clients as kind:subject, the form stored in submitted_by and uploaded_by', () => {
    expect(principalRef({ kind: 'user', subject: 'alice', scopes: [], sessionId: 's1' })).toBe('user:alice');
    expect(principalRef({ kind: 'client', subject: 'crm-1' })).toBe('client:crm-1');
  });
});
