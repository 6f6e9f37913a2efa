import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type BreakerState = 'closed' | 'half_open' | 'open';
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Per-connector metrics, labelled by connector name; one set per registry, shared by every connector in the process. */
export class ConnectorMetrics {
  /** Every delivery asked of a connector, by how it ended (delivered, retryable reasons, permanent). */
  readonly calls: Counter<'connector' | 'result'>;
  /** Calls that reached the provider and failed, by kind (transient, permanent, timeout, provider_rate_limited). */
  readonly failures: Counter<'connector' | 'kind'>;
  /** 0 closed, 1 half-open, 2 open. */
  readonly breakerState: Gauge<'connector'>;
  readonly breakerTransitions: Counter<'connector' | 'state'>;
  /** Time spent in provider calls (calls the breaker or rate limit short-circuited are not observed). */
  readonly latency: Histogram<'connector'>;

  private static readonly byRegistry = new WeakMap<Registry, ConnectorMetrics>();

  static for(registry: Registry): ConnectorMetrics {
    let m = ConnectorMetrics.byRegistry.get(registry);
    if (!m) {
      m = new ConnectorMetrics(registry);
      ConnectorMetrics.byRegistry.set(registry, m);
    }
    return m;
  }

  private constructor(registry: Registry) {
    const registers = [registry];
    this.calls = new Counter({
      name: 'connector_calls_total',
      help: 'Deliveries asked of a connector, by result',
      labelNames: ['connector', 'result'],
      registers,
    });
    this.failures = new Counter({
      name: 'connector_failures_total',
      help: 'Provider calls that failed, by kind',
      labelNames: ['connector', 'kind'],
      registers,
    });
    this.breakerState = new Gauge({
      name: 'connector_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['connector'],
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'connector_breaker_transitions_total',
      help: 'Circuit breaker state changes, by new state',
      labelNames: ['connector', 'state'],
      registers,
    });
    this.latency = new Histogram({
      name: 'connector_call_duration_seconds',
      help: 'Duration of provider calls',
      labelNames: ['connector'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }
}
