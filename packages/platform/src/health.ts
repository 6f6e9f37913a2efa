/** A dependency the service needs to do its work. `check` rejects when it does not answer. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, { status: 'ok' | 'fail'; latency_ms: number; error?: string }>;
}

/** Runs all checks in parallel, each bounded by a timeout so a hung dependency reads as failed, not as a hung probe. */
export async function runHealthChecks(checks: HealthCheck[], timeoutMs = 2_000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      const started = performance.now();
      try {
        await withTimeout(c.check(), timeoutMs, `${c.name} did not answer within ${timeoutMs} ms`);
        return [c.name, { status: 'ok' as const, latency_ms: Math.round(performance.now() - started) }] as const;
      } catch (err) {
        return [
          c.name,
          { status: 'fail' as const, latency_ms: Math.round(performance.now() - started), error: errorMessage(err) },
        ] as const;
      }
    }),
  );
  const report: HealthReport = { status: 'ok', checks: {} };
  for (const [name, r] of results) {
    report.checks[name] = r;
    if (r.status === 'fail') report.status = 'unavailable';
  }
  return report;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
