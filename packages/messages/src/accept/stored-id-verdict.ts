import type { SendMessageRequest, StoredMessage } from '@hub/domain';
import { requestFingerprint } from './request-fingerprint';

/**
 * What the message stored under a client-chosen id says about a send under it:
 * - `free`: nothing is stored under the id;
 * - `repeat`: the caller's own message, with this request's content (a retry);
 * - `mismatch`: the caller's own message, with other content;
 * - `taken`: another caller's message.
 */
export type StoredIdVerdict = 'free' | 'repeat' | 'mismatch' | 'taken';

/**
 * Judges a send under a client-chosen id against the message already stored
 * under it, for when the Redis claim could not tell (it expired or was lost).
 *
 * The owner is the stored `submitted_by`. A message stored before
 * submitted_by existed has none; its sender (`from`) stands in, as in the
 * router's own check.
 *
 * "Same content" is what the claim's fingerprint covers, read from the
 * stored message: conversation, sender, channels and payload, compared as
 * requestFingerprint compares them (key order aside). `to` is compared only
 * when the request names recipients: the stored `to` is the resolved list,
 * and the store does not record whether the original request named it or
 * took the default (the other members at the time, which may have changed
 * since), so a retry that leaves `to` out matches whatever was stored.
 * The same caller sending in another conversation or as another sender
 * under its own id is `mismatch` (422), as the claim would have answered.
 */
export function storedIdVerdict(stored: StoredMessage | undefined, caller: string, req: SendMessageRequest): StoredIdVerdict {
  if (!stored) return 'free';
  const owner = stored.submitted_by as string | undefined;
  if (owner !== undefined ? owner !== caller : stored.from !== req.from) return 'taken';
  return requestFingerprint(asRequest(stored, req.to !== undefined)) === requestFingerprint(req) ? 'repeat' : 'mismatch';
}

/** The request a stored message stands for, as far as it tells. */
function asRequest(m: StoredMessage, withTo: boolean): SendMessageRequest {
  return { conversation_id: m.conversation_id, from: m.from, channels: m.channels, payload: m.payload, ...(withTo ? { to: m.to } : {}) };
}
