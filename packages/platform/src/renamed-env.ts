/**
 * Environment variables renamed by the vocabulary wave (docs/ARCHITECTURE.md,
 * "Renamed in this wave"), old name → new name. During the alias period a
 * service still reads the old name when the new one is absent, and warns once
 * per old name so operators update their environment before the aliases go.
 */
export const RENAMED_ENV: Readonly<Record<string, string>> = {
  DELIVERY_MAX_ATTEMPTS: 'OUTBOUND_MAX_ATTEMPTS',
  DELIVERY_BACKOFF_BASE_MS: 'OUTBOUND_BACKOFF_BASE_MS',
  DELIVERY_BACKOFF_JITTER: 'OUTBOUND_BACKOFF_JITTER',
  DELIVERY_QUEUE_RECHECK_MS: 'OUTBOUND_QUEUE_RECHECK_MS',
  DELIVERY_MAX_DEFER_MS: 'OUTBOUND_MAX_DEFER_MS',
  DELIVERY_RETRY_MAX_IN_MEMORY: 'OUTBOUND_RETRY_MAX_IN_MEMORY',
  DELIVERY_SWEEP_INTERVAL_MS: 'OUTBOUND_SWEEP_INTERVAL_MS',
  DELIVERY_SWEEP_GRACE_MS: 'OUTBOUND_SWEEP_GRACE_MS',
  ROUTER_WRITE_LANES: 'ROUTER_WRITE_GROUPS',
};

const warned = new Set<string>();

function warnOnce(oldName: string, newName: string): void {
  if (warned.has(oldName)) return;
  warned.add(oldName);
  process.emitWarning(`${oldName} is deprecated; set ${newName} instead (the old name is read only while ${newName} is unset)`, {
    type: 'DeprecationWarning',
    code: 'HUB_ENV_RENAMED',
  });
}

/**
 * The environment with each renamed variable's old value copied to its new
 * name where only the old one is set. The new name wins when both are set.
 * Does not change `env`.
 */
export function withRenamedEnv(
  env: Record<string, string | undefined>,
  renames: Readonly<Record<string, string>> = RENAMED_ENV,
  warn: (oldName: string, newName: string) => void = warnOnce,
): Record<string, string | undefined> {
  let out = env;
  for (const [oldName, newName] of Object.entries(renames)) {
    if (env[oldName] === undefined) continue;
    warn(oldName, newName);
    if (env[newName] !== undefined) continue;
    if (out === env) out = { ...env };
    out[newName] = env[oldName];
  }
  return out;
}
