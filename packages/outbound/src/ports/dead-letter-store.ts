import type { ExternalChannel } from '@hub/domain';
import type { DeadLetter } from '../records';

export interface DeadLetterQuery {
  limit: number;
  /** Cursor: the last id of the previous page (ids are time-ordered, newest first). */
  before?: string;
  channel?: ExternalChannel;
  /** false: only those not replayed yet. */
  includeReplayed: boolean;
}

/** Port: dead letters kept for operators (MongoDB collection `dead_letters`). */
export interface DeadLetterStore {
  /** Stores it once per (delivery_id, generation); a repeat returns the stored one. */
  add(deadLetter: DeadLetter): Promise<DeadLetter>;
  list(query: DeadLetterQuery): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  /** Marks it replayed unless it already was: `first` tells whether this call did it. */
  markReplayed(id: string, by: string, at: Date): Promise<{ first: boolean; deadLetter: DeadLetter } | undefined>;
}
