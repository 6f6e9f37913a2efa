import { Counter, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@hub/platform';

/** Prometheus metrics of the notify worker. */
export class NotifyMetrics {
  readonly enqueued: Counter<'event_type'>;
  readonly attempts: Counter<'outcome'>;
  readonly attemptDuration: Histogram<'outcome'>;
  /** From the event's time to the receiver's 2xx: what a business system experiences. */
  readonly deliveryLag: Histogram;
  readonly inFlight: Gauge;
  readonly held: Gauge;
  readonly disabled: Counter;
  readonly dropped: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.enqueued = new Counter({
      name: 'webhook_deliveries_enqueued_total',
      help: 'Webhook deliveries created from events',
      labelNames: ['event_type'],
      registers,
    });
    this.attempts = new Counter({
      name: 'webhook_attempts_total',
      help: 'Webhook call attempts by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'webhook_attempt_duration_seconds',
      help: 'Duration of webhook call attempts',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.deliveryLag = new Histogram({
      name: 'webhook_delivery_lag_seconds',
      help: 'Event time to successful webhook call',
      buckets: [...LATENCY_BUCKETS, 30, 60, 300, 1800, 7200],
      registers,
    });
    this.inFlight = new Gauge({ name: 'webhook_calls_in_flight', help: 'Webhook calls in flight in this process', registers });
    this.held = new Gauge({ name: 'webhook_deliveries_held', help: 'Pending webhook deliveries this process holds (leased)', registers });
    this.disabled = new Counter({
      name: 'webhook_endpoints_disabled_total',
      help: 'Endpoints disabled after failing continuously',
      registers,
    });
    this.dropped = new Counter({
      name: 'webhook_events_dropped_total',
      help: 'Events that could not be turned into deliveries',
      labelNames: ['reason'],
      registers,
    });
  }
}
