import { describe, expect, it } from 'vitest';
import { principalRef, type Principal } from './identity';

describe('principalRef', () => {
  it('names users and API clients as kind:subject, the form stored in submitted_by and uploaded_by', () => {
    const alice: Principal = { kind: 'user', subject: 'alice', scopes: [], sessionId: 's1' };
    expect(principalRef(alice)).toBe('user:alice');
    expect(principalRef({ kind: 'client', subject: 'crm-1' })).toBe('client:crm-1');
  });
});
