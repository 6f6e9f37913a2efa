import { describe, expect, it } from 'vitest';
import { canTransition, rollUp } from './status';

describe('status transitions', () => {
  it('move forward only', () => {
    expect(canTransition('accepted', 'sent')).toBe(true);
    expect(canTransition('sent', 'delivered')).toBe(true);
    expect(canTransition('delivered', 'read')).toBe(true);
    expect(canTransition('read', 'delivered')).toBe(false);
    expect(canTransition('delivered', 'sent')).toBe(false);
    expect(canTransition('sent', 'sent')).toBe(false);
  });
  it('treat pending and retrying as side states before sent', () => {
    expect(canTransition('accepted', 'pending')).toBe(true);
    expect(canTransition('pending', 'retrying')).toBe(true);
    expect(canTransition('retrying', 'pending')).toBe(true);
    expect(canTransition('pending', 'sent')).toBe(true);
    expect(canTransition('sent', 'pending')).toBe(false);
  });
  it('never fail a delivered message, and never leave failed', () => {
    expect(canTransition('retrying', 'failed')).toBe(true);
    expect(canTransition('delivered', 'failed')).toBe(false);
    expect(canTransition('failed', 'sent')).toBe(false);
  });
  it('leave failed only by a replay reopening it as retrying', () => {
    expect(canTransition('failed', 'retrying')).toBe(false);
    expect(canTransition('failed', 'retrying', { reopened: true })).toBe(true);
    expect(canTransition('failed', 'sent', { reopened: true })).toBe(false);
    expect(canTransition('retrying', 'sent', { reopened: true })).toBe(true);
  });
  it('roll up to the least advanced live state', () => {
    expect(rollUp(['read', 'sent', 'failed'])).toBe('sent');
    expect(rollUp(['failed', 'failed'])).toBe('failed');
    expect(rollUp([])).toBe('accepted');
  });
});
