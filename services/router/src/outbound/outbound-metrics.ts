import { Counter, type Registry } from '@hub/platform';

/** Outbound step metrics (connector calls themselves are counted by the connectors' wrapper). */
export class OutboundMetrics {
  /** External deliveries by how one step ended: sent, retry, deferred, queued, dead_letter. */
  readonly steps: Counter<'channel' | 'step'>;

  constructor(registry: Registry) {
    this.steps = new Counter({ name: 'outbound_steps_total', help: 'Outbound delivery steps by result', labelNames: ['channel', 'step'], registers: [registry] });
  }
}
