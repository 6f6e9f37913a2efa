import { isUuid, nameBasedId } from '@hub/domain';
import { ProblemError } from '@hub/platform';

/** Namespace of message ids derived from Idempotency-Key values that are not UUIDs. */
export const IDEMPOTENCY_KEY_NAMESPACE = '8d2e4f6a-1b3c-5d7e-9f0a-2b4c6d8e0f1a';

/** Visible ASCII, 1–255 characters (the usual limit for the header). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * The message id an Idempotency-Key stands for. A UUID is used as it is
 * (lower-cased), like a `message_id` in the body; anything else is hashed
 * into a UUIDv5 under the caller's identity, so the same key from two
 * callers names two different messages.
 */
export function messageIdFromIdempotencyKey(key: string, caller: string): string {
  const k = key.trim();
  if (!KEY_PATTERN.test(k)) {
    throw new ProblemError('validation_failed', 'Idempotency-Key must be 1 to 255 visible ASCII characters', {
      errors: [{ field: 'header.Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
    });
  }
  if (isUuid(k)) return k.toLowerCase();
  return nameBasedId(IDEMPOTENCY_KEY_NAMESPACE, `${caller}\n${k}`);
}
