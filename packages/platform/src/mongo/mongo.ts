import { MongoClient, MongoServerError, type Db, type IndexDescription, type WriteConcernSettings } from 'mongodb';
import type { HealthCheck } from '../health';

export interface MongoSettings {
  url: string;
  database: string;
  /** `majority` in production; the single-node test server accepts it too. */
  writeConcern?: WriteConcernSettings['w'];
  serverSelectionTimeoutMs?: number;
}

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  /**
   * The server answers only `_id` equality from an index (FerretDB 1.x,
   * the local stack's server): any other filter reads the whole
   * collection, whatever indexes exist. Stores then read by `_id`.
   */
  idLookupsOnly: boolean;
  close(): Promise<void>;
}

export async function connectMongo(s: MongoSettings): Promise<MongoHandle> {
  const client = new MongoClient(s.url, {
    serverSelectionTimeoutMS: s.serverSelectionTimeoutMs ?? 3_000,
    connectTimeoutMS: 3_000,
    writeConcern: { w: s.writeConcern ?? 'majority' },
    maxPoolSize: 20,
  });
  await client.connect();
  const db = client.db(s.database);
  return { client, db, idLookupsOnly: await isFerretDb(db), close: () => client.close() };
}

/** FerretDB names itself in buildInfo (`ferretdbVersion`); MongoDB does not. */
async function isFerretDb(db: Db): Promise<boolean> {
  const info = await db.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string';
}

/** Indexes per collection. Created at start-up; creating an existing index is a no-op. */
export type IndexPlan = Record<string, IndexDescription[]>;

export async function ensureIndexes(db: Db, plan: IndexPlan): Promise<void> {
  for (const [collection, indexes] of Object.entries(plan)) {
    // One call per index: FerretDB 1.24 drops the connection (a server panic)
    // when one createIndexes call names several indexes that already exist.
    for (const index of indexes) await db.collection(collection).createIndexes([index]);
  }
}

/** E11000: the write hit a unique index. Callers treat it as "already there", not as a failure. */
export function isDuplicateKeyError(err: unknown): boolean {
  if (err instanceof MongoServerError && err.code === 11000) return true;
  const e = err as { code?: number; writeErrors?: Array<{ code?: number }> } | null;
  if (e?.code === 11000) return true;
  return Array.isArray(e?.writeErrors) && e.writeErrors.length > 0 && e.writeErrors.every((w) => w.code === 11000);
}

/**
 * Positions (in the bulk write's document list) of the documents a failed
 * bulk write refused, ascending. The driver gives one error or a list; an
 * empty result means the error did not say which.
 */
export function writeErrorIndexes(err: unknown): number[] {
  const writeErrors = (err as { writeErrors?: Array<{ index: number }> | { index: number } } | null)?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  return list.map((w) => w.index).sort((a, b) => a - b);
}

export function mongoHealthCheck(db: Db): HealthCheck {
  return { name: 'mongodb', check: async () => void (await db.command({ ping: 1 })) };
}
