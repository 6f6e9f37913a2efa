/**
 * Errors that carry their retry decision. Adapters translate driver and
 * provider failures into one of these; the router retries only transient
 * ones and a circuit breaker counts only transient ones.
 */
export class TransientError extends Error {
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export class PermanentError extends Error {
  readonly retryable = false;
  constructor(
    message: string,
    readonly reason = 'permanent',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export function isTransient(err: unknown): err is TransientError {
  return err instanceof TransientError;
}
