import { Counter, messageEndToEnd, type Histogram, type Registry } from '@hub/platform';

/** Outbound step metrics (connector calls themselves are counted by the connectors' wrapper). */
export class OutboundMetrics {
  /** External deliveries by how one step ended: sent, retry, deferred, queued, dead_letter. */
  readonly steps: Counter<'channel' | 'step'>;
  /** Accept to the provider taking the message, first try or retry. */
  readonly handedOver: Histogram<'channel'>;

  constructor(registry: Registry) {
    this.steps = new Counter({
      name: 'outbound_steps_total',
      help: 'Outbound delivery steps by result',
      labelNames: ['channel', 'step'],
      registers: [registry],
    });
    this.handedOver = messageEndToEnd(registry);
  }
}
