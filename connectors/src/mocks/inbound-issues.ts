import type { z } from 'zod';
import { InboundParseError } from '../connector';

/** Wraps a failed schema check of a provider webhook into an InboundParseError naming the fields. */
export function inboundParseError(provider: string, error: z.ZodError): InboundParseError {
  const issues = error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  return new InboundParseError(`not a ${provider} webhook: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
}
