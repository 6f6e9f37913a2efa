import { HubNetworkError, HubProblemError, HubSocketError } from '@hub/sdk';

/** Exit codes (documented in the README): 0 ok, 1 usage, 2 API refusal (4xx), 3 server error, unavailable or network, 4 authentication/authorisation. */
export const ExitCode = { ok: 0, usage: 1, api: 2, server: 3, auth: 4 } as const;

/** A mistake in how the command was called (bad option value, missing login). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
  }
}

/** The exit code for an error, and the lines that explain it. */
export function describeError(err: unknown): { code: number; lines: string[]; json: Record<string, unknown> } {
  if (err instanceof HubProblemError) {
    const lines = [`error: ${err.title}${err.detail ? `: ${err.detail}` : ''}`, ...err.errors.map((e) => `  ${e.field}: ${e.message}`)];
    if (err.requestId) lines.push(`  (request id ${err.requestId})`);
    const code = err.status === 401 || err.status === 403 ? ExitCode.auth : err.status >= 500 ? ExitCode.server : ExitCode.api;
    return { code, lines, json: { error: err.problem } };
  }
  if (err instanceof HubNetworkError)
    return {
      code: ExitCode.server,
      lines: [`error: the hub could not be reached: ${err.message}`],
      json: { error: { title: 'network error', detail: err.message } },
    };
  if (err instanceof HubSocketError) {
    const code =
      err.code === 'auth' || err.code === 'forbidden' || err.code === 'not_member'
        ? ExitCode.auth
        : err.code === 'unavailable' || err.code === 'internal' || err.code === 'timeout' || err.code === 'closed'
          ? ExitCode.server
          : ExitCode.api;
    return { code, lines: [`error: ${err.code}: ${err.message}`], json: { error: { title: err.code, detail: err.message } } };
  }
  if (err instanceof UsageError)
    return { code: err.exitCode, lines: [`error: ${err.message}`], json: { error: { title: 'usage', detail: err.message } } };
  // fetch failing below the SDK (e.g. a presigned storage URL) is a network problem too.
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return {
      code: ExitCode.server,
      lines: [`error: network: ${cause ?? err.message}`],
      json: { error: { title: 'network error', detail: cause ?? err.message } },
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: ExitCode.server, lines: [`error: ${message}`], json: { error: { title: 'error', detail: message } } };
}
