import { InvalidArgumentError } from 'commander';

/** A non-negative integer option value. */
export function intOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('not a non-negative integer');
  return Number(value);
}
