import { describe, expect, it } from 'vitest';
import { EventFilterSchema, subscribes, WEBHOOK_EVENT_TYPES } from './events';
import { ownerOfSubmitter, signingSecrets, type WebhookRecord } from './registration';

describe('event filters', () => {
  it('names one event per status and the file event', () => {
    expect(WEBHOOK_EVENT_TYPES).toEqual([
      'message.accepted',
      'message.pending',
      'message.retrying',
      'message.sent',
      'message.delivered',
      'message.read',
      'message.failed',
      'file.completed',
    ]);
  });

  it('matches listed events and the wildcard', () => {
    expect(subscribes(['message.sent'], 'message.sent')).toBe(true);
    expect(subscribes(['message.sent'], 'message.read')).toBe(false);
    expect(subscribes(['*'], 'file.completed')).toBe(true);
  });

  it('rejects unknown names with the list of known ones', () => {
    const r = EventFilterSchema.safeParse('message.exploded');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/unknown event "message.exploded"; known events: message.accepted, .*file.completed, \*/);
  });
});

describe('registration helpers', () => {
  it('finds the owning API client of a submitter', () => {
    expect(ownerOfSubmitter('client:crm-1')).toBe('crm-1');
    expect(ownerOfSubmitter('user:alice')).toBeUndefined();
    expect(ownerOfSubmitter('client:')).toBeUndefined();
    expect(ownerOfSubmitter(undefined)).toBeUndefined();
  });

  it('signs with the previous secret only until it expires', () => {
    const r = {
      secret: 'whsec_new',
      previous_secret: 'whsec_old',
      previous_secret_expires_at: '2026-01-01T00:01:00.000Z',
    } as WebhookRecord;
    expect(signingSecrets(r, new Date('2026-01-01T00:00:00Z'))).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(r, new Date('2026-01-01T00:01:00Z'))).toEqual(['whsec_new']);
  });
});
