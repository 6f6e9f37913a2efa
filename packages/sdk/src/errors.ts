/** One entry of a problem's `errors` array: the field that was wrong and why. */
export interface ProblemFieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem document as the hub sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

/**
 * The hub answered and refused: a 4xx/5xx with its problem+json body
 * (or a synthesised one when the body was not a problem). Kept apart from
 * HubNetworkError ("the hub was unreachable"), because only the latter
 * leaves it open whether the request took effect.
 */
export class HubProblemError extends Error {
  override readonly name = 'HubProblemError';
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: ProblemFieldError[];
  readonly requestId: string | undefined;
  /** Milliseconds the server asked to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | undefined;
  readonly problem: Problem;

  constructor(problem: Problem, opts: { retryAfterMs?: number } = {}) {
    super(`${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.problem = problem;
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = problem.request_id;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** The request never got an answer (connection refused or reset, DNS, timeout). It may or may not have reached the hub. */
export class HubNetworkError extends Error {
  override readonly name = 'HubNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Reads a problem from a response that is not ok; never throws. */
export async function problemFromResponse(response: Response, retryAfterMs?: number): Promise<HubProblemError> {
  let body: unknown;
  const text = await response.text().catch(() => '');
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return new HubProblemError(
    asProblem(body, response.status, response.statusText, text),
    retryAfterMs !== undefined ? { retryAfterMs } : {},
  );
}

/** Turns any error body into a Problem, keeping the server's fields where they are present. */
export function asProblem(body: unknown, status: number, statusText = '', rawText = ''): Problem {
  if (body && typeof body === 'object' && typeof (body as Problem).title === 'string') {
    const p = body as Partial<Problem>;
    return {
      ...p,
      type: typeof p.type === 'string' ? p.type : 'about:blank',
      title: p.title!,
      status: typeof p.status === 'number' ? p.status : status,
    };
  }
  const detail = rawText.trim().slice(0, 500);
  return { type: 'about:blank', title: statusText || `HTTP ${status}`, status, ...(detail ? { detail } : {}) };
}
