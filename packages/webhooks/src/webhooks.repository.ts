import { EtcdKeys, newId } from '@hub/domain';
import type { KeyValueStore } from '@hub/platform';
import type { EventFilter } from './events';
import type { WebhookRecord } from './registration';
import { WebhookSecretCodec } from './secret-box';
import { newWebhookSecret } from './secrets';

export interface NewWebhook {
  url: string;
  events: EventFilter[];
  description?: string;
}

/** Raised when concurrent writers kept changing a registration (the caller answers 503). */
export class ConcurrentUpdateError extends Error {
  constructor(key: string) {
    super(`${key} kept changing under concurrent updates`);
    this.name = 'ConcurrentUpdateError';
  }
}

/**
 * Webhook registrations in etcd (`webhooks/<owner>/<webhook_id>`). Updates
 * are compare-and-set on the revision read, so an owner's PATCH and the
 * dispatcher marking the endpoint as failing never overwrite each other.
 * Secrets are stored through `codec` (sealed when a key is configured);
 * callers always see them readable.
 */
export class WebhooksRepository {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly codec = new WebhookSecretCodec(),
  ) {}

  async create(owner: string, input: NewWebhook, now = new Date()): Promise<WebhookRecord> {
    const at = now.toISOString();
    const record: WebhookRecord = {
      webhook_id: newId(),
      owner,
      url: input.url,
      events: [...new Set(input.events)],
      ...(input.description !== undefined ? { description: input.description } : {}),
      active: true,
      created_at: at,
      updated_at: at,
      secret: newWebhookSecret(),
    };
    if (!(await this.kv.createIfAbsent(EtcdKeys.webhook(owner, record.webhook_id), this.codec.seal(record))))
      throw new Error('webhook id collision');
    return record;
  }

  async get(owner: string, webhookId: string): Promise<WebhookRecord | undefined> {
    const stored = await this.kv.get<WebhookRecord>(EtcdKeys.webhook(owner, webhookId));
    return stored && this.codec.open(stored);
  }

  /** The owner's registrations, oldest first. */
  async list(owner: string): Promise<WebhookRecord[]> {
    const all = await this.kv.list<WebhookRecord>(`${EtcdKeys.webhooks}${owner}/`);
    return [...all.values()]
      .map((r) => this.codec.open(r))
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.webhook_id.localeCompare(b.webhook_id));
  }

  /**
   * Applies `change` to the current record and writes it if nobody wrote in
   * between, re-reading and re-applying otherwise. `change` returns
   * undefined to leave the record as it is. Resolves with the stored record,
   * or undefined when there is no such webhook.
   */
  async update(
    owner: string,
    webhookId: string,
    change: (current: WebhookRecord) => WebhookRecord | undefined,
  ): Promise<WebhookRecord | undefined> {
    const key = EtcdKeys.webhook(owner, webhookId);
    for (let attempt = 0; attempt < 8; attempt++) {
      const current = await this.kv.getWithRevision<WebhookRecord>(key);
      if (!current) return undefined;
      const readable = this.codec.open(current.value);
      const next = change(readable);
      if (!next) return readable;
      if (await this.kv.compareAndSet(key, this.codec.seal(next), current.revision)) return next;
    }
    throw new ConcurrentUpdateError(key);
  }

  /**
   * Replaces the signing secret. The previous one keeps signing (as a
   * second signature) for `graceMs`, so receivers can switch without
   * rejecting calls; a grace of 0 retires it at once. Resolves with the
   * record holding the new secret, or undefined when there is no such webhook.
   */
  rotateSecret(owner: string, webhookId: string, graceMs: number, now = new Date()): Promise<WebhookRecord | undefined> {
    const secret = newWebhookSecret();
    return this.update(owner, webhookId, (r) => {
      const { previous_secret: _p, previous_secret_expires_at: _e, ...rest } = r;
      return {
        ...rest,
        secret,
        ...(graceMs > 0 ? { previous_secret: r.secret, previous_secret_expires_at: new Date(now.getTime() + graceMs).toISOString() } : {}),
        secret_rotated_at: now.toISOString(),
        updated_at: now.toISOString(),
      };
    });
  }

  delete(owner: string, webhookId: string): Promise<boolean> {
    return this.kv.delete(EtcdKeys.webhook(owner, webhookId));
  }
}
