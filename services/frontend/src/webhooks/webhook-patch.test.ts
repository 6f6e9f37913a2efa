import { describe, expect, it } from 'vitest';
import type { WebhookRecord } from '@hub/webhooks';
import { applyWebhookPatch } from './webhook-patch';

const base: WebhookRecord = {
  webhook_id: 'w',
  owner: 'crm',
  url: 'https://a.example/hook',
  events: ['message.sent'],
  description: 'old',
  active: false,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  secret: 'whsec_x',
  failing_since: '2026-01-01T00:00:00.000Z',
  disabled_at: '2026-01-06T00:00:00.000Z',
  disabled_reason: 'every attempt failed',
};
const now = new Date('2026-02-01T00:00:00.000Z');

describe('applyWebhookPatch', () => {
  it('changes only the named fields and stamps updated_at', () => {
    const next = applyWebhookPatch(base, { url: 'https://b.example/hook', events: ['*'] }, now);
    expect(next).toMatchObject({
      url: 'https://b.example/hook',
      events: ['*'],
      description: 'old',
      active: false,
      secret: 'whsec_x',
      updated_at: now.toISOString(),
      disabled_at: base.disabled_at,
    });
  });

  it('re-activating lifts a disable and the failure streak', () => {
    const next = applyWebhookPatch(base, { active: true }, now);
    expect(next.active).toBe(true);
    expect(next.disabled_at).toBeUndefined();
    expect(next.disabled_reason).toBeUndefined();
    expect(next.failing_since).toBeUndefined();
  });

  it('removes the description on null', () => {
    expect(applyWebhookPatch(base, { description: null }, now).description).toBeUndefined();
    expect(applyWebhookPatch(base, { description: 'new' }, now).description).toBe('new');
  });
});
