import type { EventFilter, WebhookRecord } from '@hub/webhooks';
import type { UpdateWebhookRequest } from './webhook-schemas';

/**
 * Applies a PATCH to a registration. Re-activating (`active: true`) also
 * lifts a disable by the dispatcher and forgets the failure streak, so the
 * endpoint gets a fresh `WEBHOOK_DISABLE_AFTER_MS` before it could be
 * disabled again.
 */
export function applyWebhookPatch(current: WebhookRecord, patch: UpdateWebhookRequest, now: Date): WebhookRecord {
  const next: WebhookRecord = { ...current, updated_at: now.toISOString() };
  if (patch.url !== undefined) next.url = patch.url;
  if (patch.events !== undefined) next.events = [...new Set(patch.events)] as EventFilter[];
  if (patch.description === null) delete next.description;
  else if (patch.description !== undefined) next.description = patch.description;
  if (patch.active !== undefined) {
    next.active = patch.active;
    if (patch.active) {
      delete next.disabled_at;
      delete next.disabled_reason;
      delete next.failing_since;
    }
  }
  return next;
}
