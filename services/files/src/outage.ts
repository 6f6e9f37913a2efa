import { ProblemError } from '@hub/platform';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Did a store fail to answer (as opposed to answering no)? */
export function isOutage(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (typeof e.name === 'string' && /^Mongo(Network|NetworkTimeout|ServerSelection|TopologyClosed)Error$/.test(e.name)) return true;
  return e.cause !== undefined && e.cause !== err && isOutage(e.cause);
}

/** Object storage or MongoDB not answering is the server's problem, not the caller's: 503 with Retry-After, never 500. */
export async function unavailableOnOutage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isOutage(err)) throw err;
    throw new ProblemError('unavailable', 'file storage or metadata store did not answer; retry shortly', {
      headers: { 'Retry-After': '2' },
    });
  }
}
