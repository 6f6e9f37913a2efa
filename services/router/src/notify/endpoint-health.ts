import { EtcdKeys } from '@hub/domain';
import type { Logger } from '@hub/platform';
import type { WatchedWebhooks, WebhookRecord, WebhooksRepository } from '@hub/webhooks';

/**
 * Tracks whether an endpoint keeps failing and disables it when it has
 * failed continuously (no success in between) for `disableAfterMs`. State
 * lives on the registration in etcd (`failing_since`, `disabled_at`,
 * `disabled_reason`) so the API shows it and every dispatcher agrees. It is
 * written only on a change (first failure, first success after failures,
 * disabling), never per attempt.
 */
export class EndpointHealth {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly registrations: WatchedWebhooks,
    private readonly disableAfterMs: number,
    private readonly logger: Logger,
    private readonly onDisabled: () => void = () => {},
  ) {}

  async succeeded(reg: WebhookRecord): Promise<void> {
    if (!reg.failing_since) return;
    await this.write(reg, (r) => {
      if (!r.failing_since) return undefined;
      const { failing_since: _since, ...rest } = r;
      return rest;
    });
  }

  async failed(reg: WebhookRecord, error: string, now: Date): Promise<void> {
    if (!reg.failing_since) {
      await this.write(reg, (r) => (r.failing_since ? undefined : { ...r, failing_since: now.toISOString() }));
      return;
    }
    if (reg.disabled_at || now.getTime() - Date.parse(reg.failing_since) < this.disableAfterMs) return;
    const updated = await this.write(reg, (r) => {
      if (r.disabled_at || !r.failing_since || now.getTime() - Date.parse(r.failing_since) < this.disableAfterMs) return undefined;
      return {
        ...r,
        active: false,
        disabled_at: now.toISOString(),
        disabled_reason: `every attempt failed since ${r.failing_since}; last error: ${error.slice(0, 300)}`,
      };
    });
    if (updated?.disabled_at === now.toISOString()) {
      this.onDisabled();
      this.logger.warn(
        { webhook_id: reg.webhook_id, owner: reg.owner, failing_since: reg.failing_since },
        'webhook endpoint disabled after failing continuously',
      );
    }
  }

  private async write(reg: WebhookRecord, change: (r: WebhookRecord) => WebhookRecord | undefined): Promise<WebhookRecord | undefined> {
    const updated = await this.repo.update(reg.owner, reg.webhook_id, change);
    // Read our own write at once; the watch brings the same change a moment later.
    if (updated) this.registrations.apply({ type: 'put', key: EtcdKeys.webhook(reg.owner, reg.webhook_id), value: updated });
    return updated;
  }
}
