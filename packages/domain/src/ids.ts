import { v5 as uuidv5, v7 as uuidv7, validate, version } from 'uuid';
import { z } from 'zod';

/** A new time-ordered id (UUIDv7), so ids sort roughly by creation time. */
export function newId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return validate(value);
}

export function uuidVersion(value: string): number {
  return version(value);
}

/** Any RFC 9562 UUID, lower-cased so the same id always compares equal. */
export const UuidSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a UUID')
  .transform((s) => s.toLowerCase());

/**
 * A name-based id (UUIDv5): the same namespace and name always give the
 * same id. Used where an id must be derivable again (a direct conversation
 * of two users, an Idempotency-Key scoped to its caller).
 */
export function nameBasedId(namespace: string, name: string): string {
  return uuidv5(name, namespace);
}
