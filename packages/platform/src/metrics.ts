import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/**
 * One registry per process, with Node's default process metrics (CPU,
 * memory, GC, event-loop lag as `nodejs_eventloop_lag_*`) and the service label.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets in seconds, fine-grained below 250 ms where the hub's targets are. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The metric registered under `name`, created on first use: for a metric
 * two parts of one process observe (prom-client refuses a second
 * registration of a name).
 */
export function sharedMetric<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/**
 * Accepted (the 202) to handed over (status `sent`: pushed to a live
 * WebSocket connection or taken by the provider), per channel: the hub's
 * end-to-end latency. Observed by whoever learns of the hand-over (the
 * route worker for WebSocket pushes, the outbound steps for connectors).
 */
export function messageEndToEnd(registry: Registry): Histogram<'channel'> {
  return sharedMetric(
    registry,
    'hub_message_end_to_end_seconds',
    () =>
      new Histogram({
        name: 'hub_message_end_to_end_seconds',
        help: 'Time from accept (the 202) to hand-over (status sent) of one delivery, by channel',
        labelNames: ['channel'],
        buckets: [...LATENCY_BUCKETS, 30, 60, 300],
        registers: [registry],
      }),
  );
}

/** Observes the end-to-end latency of one delivery handed over now. */
export function observeEndToEnd(histogram: Histogram<'channel'>, channel: string, acceptedAt: string | undefined, now = Date.now()): void {
  const at = acceptedAt ? Date.parse(acceptedAt) : NaN;
  if (Number.isFinite(at)) histogram.observe({ channel }, Math.max(0, now - at) / 1000);
}

// Values that identify one thing (a user, a message, a request) make a
// series per thing: unbounded label cardinality. These shapes catch them.
const ID_SHAPES: Array<[string, RegExp]> = [
  ['uuid', /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i],
  ['ulid', /^[0-9A-HJKMNP-TV-Z]{26}$/],
  ['hex id', /[0-9a-f]{16,}/i],
  ['long number', /\d{7,}/],
  ['object id', /^[0-9a-f]{24}$/i],
  ['email', /@/],
];

/** Why a label value looks like an id (unbounded cardinality), or undefined when it looks like a bounded word. */
export function idLikeLabelValue(value: string): string | undefined {
  for (const [what, re] of ID_SHAPES) if (re.test(value)) return what;
  // A raw path with many segments is a URL, not a route template.
  if (value.includes('/') && !value.startsWith('/') && value.length > 40) return 'raw path';
  return undefined;
}

/** Labels whose names are known to carry free text by design. */
const FREE_LABELS = new Set(['le', 'quantile']);

/** Every series of the registry whose label value looks like an id: `name{label="value"} (why)`. */
export async function idLikeLabels(registry: Registry): Promise<string[]> {
  const found: string[] = [];
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      for (const [label, value] of Object.entries(v.labels ?? {})) {
        if (FREE_LABELS.has(label)) continue;
        const why = idLikeLabelValue(String(value));
        if (why) found.push(`${metric.name}{${label}="${value}"} (${why})`);
      }
    }
  }
  return found;
}
