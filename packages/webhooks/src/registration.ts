import type { EventFilter } from './events';

/**
 * A webhook registration as etcd holds it under
 * `webhooks/<owner>/<webhook_id>` (EtcdKeys.webhook). `owner` is the API
 * client that registered it; it receives events of the messages and files
 * that client submitted, and nobody else's.
 */
export interface WebhookRecord {
  webhook_id: string;
  owner: string;
  url: string;
  events: EventFilter[];
  description?: string;
  /** false: paused by its owner (PATCH) or disabled by the dispatcher; no events are sent. */
  active: boolean;
  created_at: string;
  updated_at: string;
  /** Current signing secret (whsec_…). Never leaves the store except once, in the create and rotate responses. */
  secret: string;
  /** The secret before the last rotation, still signing until previous_secret_expires_at. */
  previous_secret?: string;
  previous_secret_expires_at?: string;
  secret_rotated_at?: string;
  /** First failed attempt since the last success; cleared by a success. */
  failing_since?: string;
  /** Set when the dispatcher disabled the endpoint after failing continuously for too long. */
  disabled_at?: string;
  disabled_reason?: string;
}

/** What the API shows: everything but secret material. */
export type WebhookView = Omit<WebhookRecord, 'secret' | 'previous_secret'>;

export function publicWebhook(r: WebhookRecord): WebhookView {
  const { secret: _secret, previous_secret: _previous, ...view } = r;
  return view;
}

/** The secrets that sign a payload now: the current one, plus the previous one during its grace period. */
export function signingSecrets(r: WebhookRecord, now: Date): string[] {
  const secrets = [r.secret];
  if (r.previous_secret && r.previous_secret_expires_at && Date.parse(r.previous_secret_expires_at) > now.getTime())
    secrets.push(r.previous_secret);
  return secrets;
}

/** Can events be sent to it? */
export function isDeliverable(r: WebhookRecord | undefined): boolean {
  return r !== undefined && r.active && !r.disabled_at;
}

/** The API client id behind a `submitted_by`/`uploaded_by` value (`client:<id>`); undefined for users. */
export function ownerOfSubmitter(submittedBy: string | undefined): string | undefined {
  if (!submittedBy?.startsWith('client:')) return undefined;
  const id = submittedBy.slice('client:'.length);
  return id.length > 0 ? id : undefined;
}
