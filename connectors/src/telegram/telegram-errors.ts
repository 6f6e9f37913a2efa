import { GrammyError, HttpError } from 'grammy';
import { PermanentError, TransientError } from '@hub/domain';
import { ProviderRateLimitedError, redact } from '../errors';

/**
 * Turns what grammY throws into the hub's retry decision. grammY keeps
 * "Telegram refused" (`GrammyError`, with `error_code` and
 * `parameters.retry_after`) apart from "Telegram was not reached"
 * (`HttpError`: network failure, timeout, a non-JSON answer from a proxy),
 * which is exactly the split a circuit breaker needs:
 *
 * - 429 → ProviderRateLimitedError with `retry_after` (not a breaker failure)
 * - 5xx → TransientError (counts towards opening the breaker)
 * - 400 "chat not found", 403 blocked/kicked, other 4xx → PermanentError
 * - HttpError / anything else → TransientError
 *
 * The bot token is part of every Bot API URL, so it is stripped from every
 * message that leaves here (they end up in statuses and dead letters).
 */
export function toDeliveryError(err: unknown, token: string, signal?: AbortSignal): Error {
  if (err instanceof PermanentError || err instanceof TransientError) return err;
  if (err instanceof GrammyError) {
    const description = redact(err.description, token);
    const code = err.error_code;
    if (code === 429) {
      const retryAfterS = err.parameters.retry_after ?? 1;
      return new ProviderRateLimitedError(`telegram flood control: retry after ${retryAfterS} s`, retryAfterS * 1000);
    }
    if (code >= 500) return new TransientError(`telegram error ${code}: ${description}`);
    if (err.parameters.migrate_to_chat_id !== undefined) {
      return new PermanentError(`telegram: group moved to supergroup ${err.parameters.migrate_to_chat_id}`, 'chat_migrated');
    }
    return new PermanentError(`telegram error ${code}: ${description}`, permanentReason(code, description));
  }
  if (err instanceof HttpError) {
    if (signal?.aborted) return new TransientError('telegram: call aborted at its deadline');
    return new TransientError(redact(`telegram unreachable: ${err.message}`, token));
  }
  return new TransientError(redact(`telegram call failed: ${(err as Error)?.message ?? String(err)}`, token));
}

function permanentReason(code: number, description: string): string {
  if (/chat not found/i.test(description)) return 'chat_not_found';
  if (code === 403) return /blocked/i.test(description) ? 'bot_blocked' : 'forbidden';
  if (code === 401 || code === 404) return 'bot_token_rejected';
  if (/too long/i.test(description)) return 'message_too_long';
  return 'bad_request';
}
