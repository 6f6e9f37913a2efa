/**
 * Writes the Grafana dashboards of deploy/observability/grafana/dashboards
 * from the panel lists below: one place to read every query, the same
 * layout and variables everywhere. A test runs every query against a
 * Prometheus that scrapes a running hub (test/observability).
 *
 *   node --import tsx scripts/observability/build-dashboards.ts           # rewrite the JSON files
 *   node --import tsx scripts/observability/build-dashboards.ts --check   # exit 1 if they are stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OBSERVABILITY_DIR } from './render-alerts';

export const DASHBOARDS_DIR = join(OBSERVABILITY_DIR, 'grafana', 'dashboards');
/** The uid of the datasource provisioned by grafana/provisioning/datasources/prometheus.yml. */
const DATASOURCE = { type: 'prometheus', uid: 'hub-prometheus' };

interface Target {
  expr: string;
  legend: string;
}
interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  kind?: 'timeseries' | 'stat';
}
interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: Array<{ name: string; query: string }>;
  panels: PanelSpec[];
}

const RI = '$__rate_interval';
const q = (quantile: number, metric: string, by: string, selector = '') =>
  `histogram_quantile(${quantile}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket${selector}[${RI}])))`;

const SERVICE_VAR = { name: 'service', query: 'label_values(http_requests_total, service)' };
const CHANNEL_VAR = { name: 'channel', query: 'label_values(hub_delivery_statuses_total, channel)' };
// The breaker gauge exists from start for every enabled connector, traffic or not.
const CONNECTOR_VAR = { name: 'connector', query: 'label_values(connector_breaker_state, connector)' };

export const DASHBOARDS: DashboardSpec[] = [
  {
    uid: 'hub-overview',
    title: 'Messaging hub: overview',
    description: 'Is the hub healthy right now? Traffic, errors, the pipeline (accepted → stored → delivered), lag, dead letters.',
    variables: [SERVICE_VAR, CHANNEL_VAR],
    panels: [
      {
        title: 'Services up',
        description: '1 when Prometheus can scrape the service',
        unit: 'none',
        kind: 'stat',
        targets: [{ expr: 'up{job=~"hub-.*"}', legend: '{{job}} {{instance}}' }],
      },
      {
        title: 'HTTP requests by service',
        description: 'http_requests_total: every route of every service',
        unit: 'reqps',
        targets: [{ expr: `sum by (service) (rate(http_requests_total{service=~"$service"}[${RI}]))`, legend: '{{service}}' }],
      },
      {
        title: 'HTTP 5xx ratio by service',
        description: 'Share of requests answered 5xx (alert HubHighErrorRate above 5 %)',
        unit: 'percentunit',
        targets: [
          {
            expr: `(sum by (service) (rate(http_requests_total{service=~"$service", status_class="5xx"}[${RI}])) or sum by (service) (rate(http_requests_total{service=~"$service"}[${RI}])) * 0) / sum by (service) (rate(http_requests_total{service=~"$service"}[${RI}]))`,
            legend: '{{service}}',
          },
        ],
      },
      {
        title: 'Messages accepted by source',
        description: 'hub_messages_accepted_total: 202s, by the channel the message came in on',
        unit: 'ops',
        targets: [{ expr: `sum by (source) (rate(hub_messages_accepted_total[${RI}]))`, legend: '{{source}}' }],
      },
      {
        title: 'Messages stored',
        description: 'hub_messages_persisted_total: numbered and stored by the router',
        unit: 'ops',
        targets: [{ expr: `sum(rate(hub_messages_persisted_total[${RI}]))`, legend: 'stored' }],
      },
      {
        title: 'Delivery statuses by channel',
        description: 'hub_delivery_statuses_total: sent, delivered, read, retrying, failed per channel',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (channel, status) (rate(hub_delivery_statuses_total{channel=~"$channel"}[${RI}]))`,
            legend: '{{channel}} {{status}}',
          },
        ],
      },
      {
        title: 'Outbound dead letters',
        description: 'outbound_steps_total{step="dead_letter"}: deliveries given up on, per channel',
        unit: 'short',
        targets: [
          {
            expr: `sum by (channel) (increase(outbound_steps_total{step="dead_letter", channel=~"$channel"}[${RI}]))`,
            legend: '{{channel}}',
          },
        ],
      },
      {
        title: 'Consumer lag by group',
        description: 'hub_consumer_lag summed over partitions (alert HubConsumerLagHigh per partition)',
        unit: 'short',
        targets: [{ expr: 'sum by (group, topic) (max by (group, topic, partition) (hub_consumer_lag))', legend: '{{group}} {{topic}}' }],
      },
      {
        title: 'Event-loop lag p99',
        description: 'nodejs_eventloop_lag_p99_seconds: a blocked event loop delays everything in that process',
        unit: 's',
        targets: [{ expr: 'max by (service) (nodejs_eventloop_lag_p99_seconds{service=~"$service"})', legend: '{{service}}' }],
      },
    ],
  },
  {
    uid: 'hub-latency',
    title: 'Messaging hub: latency percentiles',
    description: 'Where is the time going? End-to-end, accept, storage and per-route latency.',
    variables: [SERVICE_VAR, CHANNEL_VAR],
    panels: [
      {
        title: 'End to end (accept → hand-over) by channel',
        description: 'hub_message_end_to_end_seconds (alert HubEndToEndLatencyHigh: p95 above 1 s)',
        unit: 's',
        targets: [0.5, 0.95, 0.99].map((x) => ({
          expr: q(x, 'hub_message_end_to_end_seconds', 'channel', '{channel=~"$channel"}'),
          legend: `p${x * 100} {{channel}}`,
        })),
      },
      {
        title: 'Accept (POST /v1/messages)',
        description: 'hub_message_accept_seconds: request to answer',
        unit: 's',
        targets: [0.5, 0.95, 0.99].map((x) => ({ expr: q(x, 'hub_message_accept_seconds', ''), legend: `p${x * 100}` })),
      },
      {
        title: 'Broker acknowledgement on accept',
        description: 'hub_message_accept_publish_seconds',
        unit: 's',
        targets: [{ expr: q(0.95, 'hub_message_accept_publish_seconds', ''), legend: 'p95' }],
      },
      {
        title: 'Accept → stored',
        description: 'hub_message_accept_to_persist_seconds',
        unit: 's',
        targets: [0.5, 0.95, 0.99].map((x) => ({ expr: q(x, 'hub_message_accept_to_persist_seconds', ''), legend: `p${x * 100}` })),
      },
      {
        title: 'HTTP p95 by route',
        description: 'http_request_duration_seconds by route template',
        unit: 's',
        targets: [
          { expr: q(0.95, 'http_request_duration_seconds', 'service, route', '{service=~"$service"}'), legend: '{{service}} {{route}}' },
        ],
      },
      {
        title: 'Route batch steps p95',
        description: 'hub_router_batch_step_seconds: dedup, conversations, sequence, insert, deliver, publish',
        unit: 's',
        targets: [{ expr: q(0.95, 'hub_router_batch_step_seconds', 'step'), legend: '{{step}}' }],
      },
    ],
  },
  {
    uid: 'hub-connectors',
    title: 'Messaging hub: connectors',
    description: 'External channels: breaker state, provider calls and failures, outbound steps and retries.',
    variables: [CONNECTOR_VAR, CHANNEL_VAR],
    panels: [
      {
        title: 'Breaker state',
        description: 'connector_breaker_state: 0 closed, 1 half-open, 2 open (alert HubConnectorBreakerOpen)',
        unit: 'none',
        targets: [{ expr: 'max by (connector) (connector_breaker_state{connector=~"$connector"})', legend: '{{connector}}' }],
      },
      {
        title: 'Provider calls by result',
        description: 'connector_calls_total',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (connector, result) (rate(connector_calls_total{connector=~"$connector"}[${RI}]))`,
            legend: '{{connector}} {{result}}',
          },
        ],
      },
      {
        title: 'Provider failures by kind',
        description: 'connector_failures_total',
        unit: 'ops',
        targets: [
          {
            expr: `sum by (connector, kind) (rate(connector_failures_total{connector=~"$connector"}[${RI}]))`,
            legend: '{{connector}} {{kind}}',
          },
        ],
      },
      {
        title: 'Provider call p95',
        description: 'connector_call_duration_seconds',
        unit: 's',
        targets: [{ expr: q(0.95, 'connector_call_duration_seconds', 'connector', '{connector=~"$connector"}'), legend: '{{connector}}' }],
      },
      {
        title: 'Outbound steps',
        description: 'outbound_steps_total: sent, retry, deferred, queued, dead_letter',
        unit: 'ops',
        targets: [
          { expr: `sum by (channel, step) (rate(outbound_steps_total{channel=~"$channel"}[${RI}]))`, legend: '{{channel}} {{step}}' },
        ],
      },
      {
        title: 'Retries waiting in memory',
        description: 'retry_queue_held',
        unit: 'short',
        targets: [{ expr: 'sum(retry_queue_held)', legend: 'held' }],
      },
    ],
  },
  {
    uid: 'hub-webhooks',
    title: 'Messaging hub: webhooks',
    description: 'Webhook dispatch: attempts by outcome, latency, backlog, disabled endpoints.',
    variables: [],
    panels: [
      {
        title: 'Attempts by outcome',
        description: 'webhook_attempts_total',
        unit: 'ops',
        targets: [{ expr: `sum by (outcome) (rate(webhook_attempts_total[${RI}]))`, legend: '{{outcome}}' }],
      },
      {
        title: 'Attempt duration p95',
        description: 'webhook_attempt_duration_seconds',
        unit: 's',
        targets: [{ expr: q(0.95, 'webhook_attempt_duration_seconds', 'outcome'), legend: '{{outcome}}' }],
      },
      {
        title: 'Event → successful call p95',
        description: 'webhook_delivery_lag_seconds',
        unit: 's',
        targets: [{ expr: q(0.95, 'webhook_delivery_lag_seconds', ''), legend: 'p95' }],
      },
      {
        title: 'Webhook deliveries created',
        description: 'webhook_deliveries_enqueued_total by event type',
        unit: 'ops',
        targets: [{ expr: `sum by (event_type) (rate(webhook_deliveries_enqueued_total[${RI}]))`, legend: '{{event_type}}' }],
      },
      {
        title: 'Backlog',
        description: 'webhook_calls_in_flight and webhook_deliveries_held',
        unit: 'short',
        targets: [
          { expr: 'sum(webhook_calls_in_flight)', legend: 'in flight' },
          { expr: 'sum(webhook_deliveries_held)', legend: 'held' },
        ],
      },
      {
        title: 'Endpoints disabled (15 min)',
        description: 'webhook_endpoints_disabled_total (alert HubWebhookEndpointDisabled)',
        unit: 'short',
        kind: 'stat',
        targets: [{ expr: 'sum(increase(webhook_endpoints_disabled_total[15m]))', legend: 'disabled' }],
      },
    ],
  },
  {
    uid: 'hub-websocket',
    title: 'Messaging hub: WebSocket',
    description: 'Presence nodes: connections, frames in and out, closes, slow consumers, refused upgrades.',
    variables: [],
    panels: [
      {
        title: 'Open connections',
        description: 'ws_connections per presence node',
        unit: 'short',
        targets: [{ expr: 'sum by (instance) (ws_connections)', legend: '{{instance}}' }],
      },
      {
        title: 'Frames received',
        description: 'ws_frames_received_total by op and outcome',
        unit: 'ops',
        targets: [{ expr: `sum by (op, outcome) (rate(ws_frames_received_total[${RI}]))`, legend: '{{op}} {{outcome}}' }],
      },
      {
        title: 'Frames sent',
        description: 'ws_frames_sent_total by op',
        unit: 'ops',
        targets: [{ expr: `sum by (op) (rate(ws_frames_sent_total[${RI}]))`, legend: '{{op}}' }],
      },
      {
        title: 'Closes by code',
        description: 'ws_closes_total',
        unit: 'ops',
        targets: [{ expr: `sum by (code) (rate(ws_closes_total[${RI}]))`, legend: '{{code}}' }],
      },
      {
        title: 'Slow-consumer closes',
        description: 'ws_slow_consumers_total: connections cut because their send buffer overflowed',
        unit: 'short',
        targets: [{ expr: `sum(increase(ws_slow_consumers_total[${RI}]))`, legend: 'slow consumers' }],
      },
      {
        title: 'Upgrades refused',
        description: 'ws_upgrades_refused_total by HTTP status',
        unit: 'ops',
        targets: [{ expr: `sum by (status) (rate(ws_upgrades_refused_total[${RI}]))`, legend: '{{status}}' }],
      },
    ],
  },
];

function dashboardJson(d: DashboardSpec): unknown {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['messaging-hub'],
    timezone: 'utc',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: d.variables.map((v) => ({
        name: v.name,
        type: 'query',
        datasource: DATASOURCE,
        query: { query: v.query, refId: `${v.name}-values` },
        definition: v.query,
        includeAll: true,
        allValue: '.*',
        multi: true,
        current: { selected: true, text: ['All'], value: ['$__all'] },
        refresh: 2,
      })),
    },
    panels: d.panels.map((p, i) => ({
      id: i + 1,
      type: p.kind ?? 'timeseries',
      title: p.title,
      description: p.description,
      datasource: DATASOURCE,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: DATASOURCE,
        expr: t.expr,
        legendFormat: t.legend,
      })),
    })),
  };
}

export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [join(DASHBOARDS_DIR, `${d.uid}.json`), `${JSON.stringify(dashboardJson(d), null, 2)}\n`]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [file, text] of renderDashboards()) {
    if (check) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // missing: stale
      }
      if (current !== text) {
        stale++;
        process.stderr.write(`${file} is stale\n`);
      }
    } else {
      writeFileSync(file, text);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  if (stale) process.exit(1);
}
