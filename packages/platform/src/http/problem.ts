import type { z } from 'zod';

/**
 * The closed list of API error codes. Each maps to one HTTP status and
 * title; the `type` URI is derived from the code so clients can switch on it.
 */
export const PROBLEMS = {
  bad_request: { status: 400, title: 'Bad request' },
  validation_failed: { status: 400, title: 'Validation failed' },
  invalid_json: { status: 400, title: 'Malformed JSON body' },
  unauthorized: { status: 401, title: 'Authentication required' },
  invalid_token: { status: 401, title: 'Invalid or expired token' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  forbidden: { status: 403, title: 'Forbidden' },
  insufficient_scope: { status: 403, title: 'Insufficient scope' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  gone: { status: 410, title: 'Gone' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  unprocessable: { status: 422, title: 'Unprocessable request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

export interface FieldError {
  /** JSON pointer-like path of the offending field, e.g. `payload.text`. */
  field: string;
  message: string;
}

/** Throw from a handler to answer with problem+json. */
export class ProblemError extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly options: { errors?: FieldError[]; headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
  ) {
    super(detail ?? PROBLEMS[code].title);
    this.name = 'ProblemError';
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  [key: string]: unknown;
}

export function problemBody(err: ProblemError, requestId?: string, instance?: string): ProblemBody {
  const def = PROBLEMS[err.code];
  return {
    type: `https://hub.example/problems/${err.code.replace(/_/g, '-')}`,
    title: def.title,
    status: def.status,
    ...(err.detail ? { detail: err.detail } : {}),
    ...(instance ? { instance } : {}),
    ...(requestId ? { request_id: requestId } : {}),
    ...(err.options.errors?.length ? { errors: err.options.errors } : {}),
    ...(err.options.extra ?? {}),
  };
}

/** Turns zod issues into field errors that name the field. */
export function zodFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys?: string[] }).keys ?? [];
      return { field: [path, keys[0]].filter(Boolean).join('.') || '(body)', message: `unknown field(s): ${keys.join(', ')}` };
    }
    return { field: path || '(body)', message: issue.message };
  });
}

export function validationProblem(error: z.ZodError, where = 'body'): ProblemError {
  const errors = zodFieldErrors(error);
  const first = errors[0];
  const detail = first ? `${where}: ${first.field}: ${first.message}` : `invalid ${where}`;
  return new ProblemError('validation_failed', detail, { errors });
}
