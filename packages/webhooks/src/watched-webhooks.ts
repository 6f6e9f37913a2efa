import { EtcdKeys } from '@hub/domain';
import { PrefixMirror, type KeyValueStore, type KvChange, type Logger } from '@hub/platform';
import { subscribes } from './events';
import { isDeliverable, type WebhookRecord } from './registration';
import { WebhookSecretCodec } from './secret-box';

/** Read side of registrations for the dispatcher's hot path (no network per event). */
export interface WebhookRegistrations {
  get(webhookId: string): WebhookRecord | undefined;
  /** Active registrations of `owner` subscribed to `eventType`. */
  matching(owner: string, eventType: string): WebhookRecord[];
}

/**
 * In-process cache of every registration, loaded once and kept fresh by an
 * etcd prefix watch (a PrefixMirror: no change made while loading is lost;
 * a malformed value is logged and skipped).
 */
export class WatchedWebhooks extends PrefixMirror implements WebhookRegistrations {
  private readonly byId = new Map<string, WebhookRecord>();
  private readonly byOwner = new Map<string, Map<string, WebhookRecord>>();

  constructor(
    kv: KeyValueStore,
    logger?: Logger,
    private readonly codec = new WebhookSecretCodec(),
  ) {
    super(kv, { prefixes: [EtcdKeys.webhooks], what: 'webhook registration' }, logger);
  }

  get(webhookId: string): WebhookRecord | undefined {
    return this.byId.get(webhookId);
  }

  matching(owner: string, eventType: string): WebhookRecord[] {
    const mine = this.byOwner.get(owner);
    if (!mine) return [];
    const out: WebhookRecord[] = [];
    for (const r of mine.values()) if (isDeliverable(r) && subscribes(r.events, eventType)) out.push(r);
    return out;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Applies a change this process wrote itself, so it reads its own writes before the watch repeats them. */
  apply(change: KvChange): void {
    const parsed = parseKey(change.key);
    if (!parsed) return;
    const { owner, webhookId } = parsed;
    if (change.type === 'put') {
      // A secret that does not open throws: the mirror logs the key and skips it.
      const record = this.codec.open(change.value as WebhookRecord);
      this.byId.set(webhookId, record);
      let mine = this.byOwner.get(owner);
      if (!mine) this.byOwner.set(owner, (mine = new Map()));
      mine.set(webhookId, record);
    } else {
      this.byId.delete(webhookId);
      const mine = this.byOwner.get(owner);
      mine?.delete(webhookId);
      if (mine?.size === 0) this.byOwner.delete(owner);
    }
  }

  protected counts(): Record<string, number> {
    return { webhooks: this.byId.size };
  }
}

function parseKey(key: string): { owner: string; webhookId: string } | undefined {
  if (!key.startsWith(EtcdKeys.webhooks)) return undefined;
  const [owner, webhookId, ...rest] = key.slice(EtcdKeys.webhooks.length).split('/');
  if (!owner || !webhookId || rest.length > 0) return undefined;
  return { owner, webhookId };
}
