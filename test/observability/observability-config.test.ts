import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, renderDashboards } from '../../scripts/observability/build-dashboards';
import { ALERTS_FILE, OBSERVABILITY_DIR, renderAlerts, SHIPPED_ALERT_SETTINGS } from '../../scripts/observability/render-alerts';
import { prometheusConfig } from '../../scripts/observability/local-prometheus';
import { REPO_ROOT } from '../support/stack-env';

// promtool and amtool come with Debian's prometheus and prometheus-alertmanager,
// installed by scripts/observability/ensure-tools.sh (npm test runs it).
function tool(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

const PROMQL_FUNCTIONS = new Set([
  'histogram_quantile',
  'label_replace',
  'label_values',
  'max_over_time',
  'min_over_time',
  'avg_over_time',
  'count_over_time',
]);

/** The metric names an expression reads: identifiers that are neither functions, label names (matchers, by/without lists) nor keywords. */
function metricNames(expr: string): string[] {
  const labels = new Set<string>();
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) for (const l of m[1]!.split(',')) labels.add(l.trim());
  for (const m of expr.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)) labels.add(m[1]!);
  const strings = expr.replace(/"[^"]*"/g, '""');
  return [...strings.matchAll(/\b[a-z][a-z0-9_]*\b/g)]
    .map((m) => m[0])
    .filter((n) => (n.includes('_') || n === 'up') && !labels.has(n) && !PROMQL_FUNCTIONS.has(n))
    .map((n) => n.replace(/_bucket$/, ''));
}

describe('deploy/observability files (issue 17, item 5)', () => {
  it('promtool check rules passes on the shipped rules, which carry the real durations', () => {
    expect(tool('promtool', ['check', 'rules', ALERTS_FILE])).toContain('SUCCESS: 7 rules found');
    const shipped = readFileSync(ALERTS_FILE, 'utf8');
    expect(shipped).toBe(renderAlerts(SHIPPED_ALERT_SETTINGS));
    expect(shipped).not.toMatch(/@[A-Z_]+@/);
    for (const [alert, wait] of [
      ['HubHighErrorRate', '5m'],
      ['HubEndToEndLatencyHigh', '5m'],
      ['HubConnectorBreakerOpen', '1m'],
      ['HubServiceDown', '1m'],
    ] as const) {
      expect(shipped, alert).toMatch(new RegExp(`alert: ${alert}\\n(?:.*\\n)*?\\s+for: ${wait}\\n`));
    }
    expect(shipped).toMatch(/hub_consumer_lag\) > 10000/);
  });

  it('promtool check config passes on the shipped scrape config and on the one the tests and npm start generate', () => {
    expect(tool('promtool', ['check', 'config', join(OBSERVABILITY_DIR, 'prometheus', 'prometheus.yml')])).toContain(
      'is valid prometheus config file syntax',
    );
    const dir = mkdtempSync(join(tmpdir(), 'hub-promcfg-'));
    try {
      writeFileSync(join(dir, 'alerts.yml'), renderAlerts({ ...SHIPPED_ALERT_SETTINGS, FOR_SLOW: '2s', LAG_THRESHOLD: '5' }));
      const config = join(dir, 'prometheus.yml');
      writeFileSync(
        config,
        prometheusConfig({
          dir,
          targets: { frontend: 'http://127.0.0.1:8081', router: 'http://127.0.0.1:8082' },
          rulesFile: join(dir, 'alerts.yml'),
          scrapeInterval: '1s',
        }),
      );
      expect(tool('promtool', ['check', 'config', config])).toContain('SUCCESS: 7 rules found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the shipped config scrapes every service on its own port (not the gateway)', () => {
    const text = readFileSync(join(OBSERVABILITY_DIR, 'prometheus', 'prometheus.yml'), 'utf8');
    for (const [service, port] of [
      ['frontend', 8081],
      ['router', 8082],
      ['presence', 8083],
      ['files', 8084],
    ] as const) {
      expect(text).toContain(`job_name: hub-${service}\n    static_configs:\n      - targets: ['127.0.0.1:${port}']`);
    }
    expect(text).not.toContain(':8080');
  });

  it('amtool check-config passes on the Alertmanager routing, and every alert reaches the receiver of its severity', () => {
    const config = join(OBSERVABILITY_DIR, 'alertmanager', 'alertmanager.yml');
    expect(tool('amtool', ['check-config', config])).toContain('SUCCESS');
    const rules = readFileSync(ALERTS_FILE, 'utf8');
    const alerts = [...rules.matchAll(/alert: (\w+)\n(?:.*\n)*?\s+severity: (\w+)\n/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(alerts.length).toBe(7);
    for (const [alert, severity] of alerts) {
      expect(
        tool('amtool', ['config', 'routes', 'test', `--config.file=${config}`, `alertname=${alert}`, `severity=${severity}`]).trim(),
        alert,
      ).toBe(severity === 'page' ? 'hub-page' : 'hub-tickets');
    }
  });

  it('the dashboard JSON files are the ones build-dashboards.ts writes', () => {
    for (const [file, text] of renderDashboards()) expect(readFileSync(file, 'utf8'), file).toBe(text);
    expect(DASHBOARDS.map((d) => d.uid)).toEqual(['hub-overview', 'hub-latency', 'hub-connectors', 'hub-webhooks', 'hub-websocket']);
  });

  it('every metric a rule or panel uses is in the catalogue of docs/observability.md', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'observability.md'), 'utf8');
    const catalogued = new Set([...doc.matchAll(/^\| `([a-z0-9_:]+)` \|/gm)].map((m) => m[1]!));
    const alertExprs = [...readFileSync(ALERTS_FILE, 'utf8').matchAll(/expr: (?:\|\n((?: {10}.*\n)+)|(.*)\n)/g)].map((m) => m[1] ?? m[2]!);
    const panelExprs = DASHBOARDS.flatMap((d) => [
      ...d.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...d.variables.map((v) => v.query),
    ]);
    expect(alertExprs.length).toBe(7);
    const used = new Set(alertExprs.concat(panelExprs).flatMap(metricNames));
    expect(used.size).toBeGreaterThan(30);
    const missing = [...used].filter((n) => !catalogued.has(n));
    expect(missing).toEqual([]);
  });
});
