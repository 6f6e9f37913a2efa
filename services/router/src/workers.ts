import { z } from 'zod';

/**
 * The router's workers, each in the folder of the same name: `route`
 * (hub.messages.v1: store, number, hand over), `retry` (hub.retry.v1:
 * outbound retries), `sweep` (republishes retry schedules lost in a
 * crash), `status` (hub.status.v1 → status history) and `notify`
 * (hub.status.v1 and hub.files.v1 → webhooks). ROUTER_WORKERS chooses
 * those one process runs.
 */
export const ROUTER_WORKERS = ['route', 'retry', 'sweep', 'status', 'notify'] as const;
export type RouterWorkerName = (typeof ROUTER_WORKERS)[number];

/** A worker's lifecycle under main.ts: start() resolves once it consumes; stop() stops intake, drains and commits. */
export interface RouterWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const valid = ROUTER_WORKERS.join(', ');

/** ROUTER_WORKERS: a comma-separated list of worker names, all of them when unset. */
export const routerWorkersSetting = z
  .string()
  .default(ROUTER_WORKERS.join(','))
  .transform((s, ctx) => {
    const names = s
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !(ROUTER_WORKERS as readonly string[]).includes(n));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown worker${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; valid names: ${valid} (comma-separated; unset runs all)`,
      });
      return z.NEVER;
    }
    if (names.length === 0) {
      ctx.addIssue({ code: 'custom', message: `name at least one worker of ${valid} (comma-separated; unset runs all)` });
      return z.NEVER;
    }
    // In the fixed order, so start-up and logs read the same whatever order was written.
    return ROUTER_WORKERS.filter((n) => names.includes(n));
  });

/** What the chosen workers need connected; nothing is connected (or health-checked) for a worker this process does not run. */
export interface WorkerNeeds {
  producer: boolean;
  /** etcd: identity mappings (route, retry) and webhook registrations (notify). */
  etcd: boolean;
  /** Redis: live pushes (route) and provider rate limits (route, retry). */
  redis: boolean;
  /** The connectors and the object store for file links (route's first tries, retry). */
  outbound: boolean;
}

export function workerNeeds(workers: readonly RouterWorkerName[]): WorkerNeeds {
  const has = (...names: RouterWorkerName[]) => names.some((n) => workers.includes(n));
  return {
    producer: has('route', 'retry', 'sweep', 'status'),
    etcd: has('route', 'retry', 'notify'),
    redis: has('route', 'retry'),
    outbound: has('route', 'retry'),
  };
}
