import { createHash } from 'node:crypto';
import type { SendMessageRequest } from '@hub/domain';

/**
 * A digest of what a send asks for (everything but its id), so that a retry
 * of the same request can be told from another request reusing the id.
 * Object keys are sorted: two bodies that differ only in key order are the
 * same request.
 */
export function requestFingerprint(req: SendMessageRequest): string {
  const { message_id: _id, ...rest } = req;
  return createHash('sha256').update(canonicalJson(rest)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
