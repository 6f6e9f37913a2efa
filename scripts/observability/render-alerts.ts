/**
 * Renders deploy/observability/prometheus/alerts.yml from alerts.template.yml.
 * The shipped file has the real durations; the alert test renders the same
 * rules with durations of seconds (and a small lag threshold) so that it can
 * see them fire and resolve within a test's time.
 *
 *   node --import tsx scripts/observability/render-alerts.ts            # rewrite alerts.yml
 *   node --import tsx scripts/observability/render-alerts.ts --check    # exit 1 if alerts.yml is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const OBSERVABILITY_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'deploy', 'observability');
export const ALERTS_TEMPLATE = join(OBSERVABILITY_DIR, 'prometheus', 'alerts.template.yml');
export const ALERTS_FILE = join(OBSERVABILITY_DIR, 'prometheus', 'alerts.yml');

export interface AlertSettings {
  /** A scrape target unreachable this long. */
  FOR_DOWN: string;
  /** Error rate and p95 end-to-end latency (the "for 5 min"). */
  FOR_SLOW: string;
  /** Consumer lag above LAG_THRESHOLD this long. */
  FOR_LAG: string;
  /** Records reaching the dead-letter topic. */
  FOR_DLQ: string;
  /** A breaker not closed this long ("open > 1 min"). */
  FOR_BREAKER: string;
  /** A webhook endpoint disabled. */
  FOR_WEBHOOK: string;
  /** Records a consumer group may be behind on one partition. */
  LAG_THRESHOLD: string;
}

export const SHIPPED_ALERT_SETTINGS: AlertSettings = {
  FOR_DOWN: '1m',
  FOR_SLOW: '5m',
  FOR_LAG: '2m',
  FOR_DLQ: '0m',
  FOR_BREAKER: '1m',
  FOR_WEBHOOK: '0m',
  LAG_THRESHOLD: '10000',
};

export function renderAlerts(settings: AlertSettings = SHIPPED_ALERT_SETTINGS): string {
  const template = readFileSync(ALERTS_TEMPLATE, 'utf8');
  // The template's header comment is its own documentation: the rendered file starts at `groups:`.
  const body = template.slice(template.indexOf('\ngroups:') + 1);
  const out = body.replace(/@([A-Z_]+)@/g, (token, name: string) => {
    const v = (settings as unknown as Record<string, string | undefined>)[name];
    if (v === undefined) throw new Error(`alerts.template.yml uses ${token}, which has no setting`);
    return v;
  });
  return `# GENERATED from alerts.template.yml by scripts/observability/render-alerts.ts: edit the template, then run it.\n${out}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rendered = renderAlerts();
  if (process.argv.includes('--check')) {
    if (readFileSync(ALERTS_FILE, 'utf8') !== rendered) {
      process.stderr.write(`${ALERTS_FILE} is stale: run node --import tsx scripts/observability/render-alerts.ts\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(ALERTS_FILE, rendered);
    process.stdout.write(`wrote ${ALERTS_FILE}\n`);
  }
}
