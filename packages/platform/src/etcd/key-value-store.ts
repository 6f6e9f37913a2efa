/**
 * Port: the metadata store (users, API clients, channel mappings, webhook
 * registrations). Values are JSON. Implemented on etcd; an in-memory
 * version serves unit tests of logic and the single-node profile.
 */
export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  /** Entries under a prefix, keyed by full key. */
  list<T>(prefix: string): Promise<Map<string, T>>;
  put<T>(key: string, value: T): Promise<void>;
  /** Writes only if the key does not exist; false when it did (atomic, one winner under races). */
  createIfAbsent<T>(key: string, value: T): Promise<boolean>;
  /** Replaces only if the stored revision is still `expectedRevision` (optimistic concurrency). */
  compareAndSet<T>(key: string, value: T, expectedRevision: string): Promise<boolean>;
  getWithRevision<T>(key: string): Promise<{ value: T; revision: string } | undefined>;
  delete(key: string): Promise<boolean>;
  /** Calls back on every put/delete under the prefix until the returned stop() is called. */
  watchPrefix(prefix: string, onChange: (change: KvChange) => void): Promise<() => Promise<void>>;
}

export type KvChange = { type: 'put'; key: string; value: unknown } | { type: 'delete'; key: string };
