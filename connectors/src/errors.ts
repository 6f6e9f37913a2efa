import { TransientError } from '@hub/domain';

/**
 * The provider refused for flood control (HTTP 429) and said when to come
 * back. Transient, but not a sign the provider is down: the circuit breaker
 * does not count it, and the recipient's lane waits `retryAfterMs`.
 */
export class ProviderRateLimitedError extends TransientError {
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(message, retryAfterMs, options);
    this.name = 'ProviderRateLimitedError';
  }
}

/** Removes a credential from text that may end up in logs, statuses or dead letters (URLs of bot APIs carry the token). */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}
