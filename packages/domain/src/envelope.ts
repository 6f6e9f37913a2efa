import { z } from 'zod';
import { newId } from './ids';

/**
 * The JSON envelope every Kafka record carries. `type` names the payload
 * schema, `version` its revision, `id` is unique per envelope (not per
 * message: a redelivery keeps its id, a new event gets a new one).
 */
export interface Envelope<T = unknown> {
  type: string;
  version: number;
  id: string;
  occurred_at: string;
  payload: T;
}

export const EnvelopeSchema = z.object({
  type: z.string().min(1),
  version: z.number().int().positive(),
  id: z.string().min(1),
  occurred_at: z.string().min(1),
  payload: z.unknown(),
});

export function makeEnvelope<T>(type: string, payload: T, opts: { version?: number; id?: string; occurredAt?: Date } = {}): Envelope<T> {
  return {
    type,
    version: opts.version ?? 1,
    id: opts.id ?? newId(),
    occurred_at: (opts.occurredAt ?? new Date()).toISOString(),
    payload,
  };
}

export class EnvelopeParseError extends Error {
  constructor(
    message: string,
    readonly raw: string,
  ) {
    super(message);
    this.name = 'EnvelopeParseError';
  }
}

/** Parses a record value; throws EnvelopeParseError for anything that is not an envelope (poison). */
export function parseEnvelope(raw: Buffer | string | null): Envelope {
  const text = raw === null ? '' : raw.toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnvelopeParseError('record value is not JSON', text.slice(0, 1000));
  }
  const parsed = EnvelopeSchema.safeParse(json);
  if (!parsed.success) {
    throw new EnvelopeParseError(
      `record is not an envelope: ${parsed.error.issues.map((i) => i.path.join('.') + ' ' + i.message).join('; ')}`,
      text.slice(0, 1000),
    );
  }
  return parsed.data as Envelope;
}
