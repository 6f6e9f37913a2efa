import { Counter, Gauge, Histogram, LATENCY_BUCKETS, messageEndToEnd, type Registry } from '@hub/platform';

/** Finer than LATENCY_BUCKETS around the 250 ms target, so quantiles read from the histogram are close. */
export const PERSIST_LATENCY_BUCKETS = [
  0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2, 5, 10, 30, 60,
];

/** Metrics of the route worker (names prefixed hub_ like every pipeline metric). */
export function createRouteMetrics(registry: Registry) {
  return {
    persisted: new Counter({
      name: 'hub_messages_persisted_total',
      help: 'Messages stored with their sequence number',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'hub_messages_duplicates_total',
      help: 'Records of messages already stored (re-sends, redeliveries), skipped',
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'hub_messages_dead_lettered_total',
      help: 'Records sent to hub.dlq.v1, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    endToEnd: new Histogram({
      name: 'hub_message_accept_to_persist_seconds',
      help: 'Time from the 202 (accepted_at) to the message being stored',
      buckets: PERSIST_LATENCY_BUCKETS,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'hub_router_batch_records',
      help: 'Records per route batch',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'hub_router_batch_duration_seconds',
      help: 'Time to store and route one batch',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'hub_router_consumer_lag',
      help: 'Records behind the partition end after the last batch, by topic and partition',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    statuses: new Counter({
      name: 'hub_router_statuses_published_total',
      help: 'Routing statuses published on hub.status.v1, by status',
      labelNames: ['status'],
      registers: [registry],
    }),
    step: new Histogram({
      name: 'hub_router_batch_step_seconds',
      help: 'Time per step of a route batch (dedup, conversations, sequence, insert, deliver, publish): where a batch spends its time',
      labelNames: ['step'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    /** Accept to hand-over of WebSocket pushes (the outbound steps observe the connectors'). */
    handedOver: messageEndToEnd(registry),
    anomalies: new Counter({
      name: 'hub_router_sequence_anomalies_total',
      help: 'Reserved sequence numbers found never stored or already taken (should stay 0)',
      registers: [registry],
    }),
  };
}

export type RouteMetrics = ReturnType<typeof createRouteMetrics>;
