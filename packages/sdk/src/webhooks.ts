/**
 * Verifies the hub's webhook calls (Standard Webhooks, docs/webhooks.md):
 * `webhook-signature` holds space-separated `v1,<base64>` entries, each an
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}` keyed with
 * the base64 part of a `whsec_` secret; any one may match (two during a
 * secret rotation). Web Crypto only, so it runs in Node ≥ 20, browsers,
 * Deno and workers alike.
 */

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export type WebhookFailure =
  'missing_headers' | 'bad_timestamp' | 'timestamp_too_old' | 'timestamp_in_future' | 'bad_secret' | 'no_matching_signature';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly reason: WebhookFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifyOptions {
  /** Largest accepted distance between the call's timestamp and now, seconds (default 300). */
  toleranceS?: number;
  /** Now, epoch ms (tests). */
  now?: number;
}

/** The hub's event envelope. */
export interface WebhookEvent<T = Record<string, unknown>> {
  type: string;
  timestamp: string;
  data: T;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  const v = rec[name] ?? Object.entries(rec).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Checks a call and returns its parsed body; throws WebhookVerificationError
 * saying why otherwise. Pass the raw body exactly as received (a parsed and
 * re-serialised JSON body will not match), and the headers as a `Headers`
 * or Node's `req.headers`. `secrets` may hold several (a rotation).
 */
export async function verifyWebhook<T = Record<string, unknown>>(
  secrets: string | string[],
  headers: HeaderSource,
  body: string | Uint8Array,
  opts: VerifyOptions = {},
): Promise<WebhookEvent<T>> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp is not Unix seconds');
  const tolerance = opts.toleranceS ?? 300;
  const nowS = Math.floor((opts.now ?? Date.now()) / 1000);
  const ts = Number(timestamp);
  // A replayed old call is refused even with a valid signature; so is one dated far ahead (a skewed or forged clock).
  if (nowS - ts > tolerance) throw new WebhookVerificationError('timestamp_too_old', `webhook-timestamp is more than ${tolerance} s old`);
  if (ts - nowS > tolerance)
    throw new WebhookVerificationError('timestamp_in_future', `webhook-timestamp is more than ${tolerance} s in the future`);

  const bodyBytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const signed = concat(new TextEncoder().encode(`${id}.${timestamp}.`), bodyBytes);
  const given = signatures
    .split(' ')
    .map((e) => e.split(','))
    .filter(([v, s]) => v === 'v1' && s)
    .map(([, s]) => base64ToBytes(s!))
    .filter((b): b is Uint8Array => b !== undefined);

  for (const secret of Array.isArray(secrets) ? secrets : [secrets]) {
    const expected = await hmacSha256(secretKey(secret), signed);
    if (given.some((g) => constantTimeEqual(g, expected))) {
      return JSON.parse(new TextDecoder().decode(bodyBytes)) as WebhookEvent<T>;
    }
  }
  throw new WebhookVerificationError('no_matching_signature', 'no signature matches: wrong secret, or the body or headers were changed');
}

/** Signs a body the way the hub does (for tests of a receiver). */
export async function signWebhook(secret: string, id: string, timestampS: number, body: string): Promise<string> {
  const sig = await hmacSha256(secretKey(secret), new TextEncoder().encode(`${id}.${timestampS}.${body}`));
  return `v1,${bytesToBase64(sig)}`;
}

function secretKey(secret: string): Uint8Array {
  const b = base64ToBytes(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  if (!b || b.length === 0) throw new WebhookVerificationError('bad_secret', 'the secret is not whsec_<base64>');
  return b;
}

async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await globalThis.crypto.subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', k, new Uint8Array(data)));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function base64ToBytes(s: string): Uint8Array | undefined {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

function bytesToBase64(b: Uint8Array): string {
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin);
}
