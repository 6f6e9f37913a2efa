import { Etcd3 } from 'etcd3';
import type { HealthCheck } from '../health';
import type { KeyValueStore, KvChange } from './key-value-store';

export interface EtcdSettings {
  hosts: string[];
  /** Every key this process writes lives under this prefix (tests use a random one). */
  namespace: string;
  dialTimeoutMs?: number;
}

/** Adapter: KeyValueStore on etcd v3. */
export class EtcdStore implements KeyValueStore {
  readonly client: Etcd3;
  private readonly ns;

  constructor(s: EtcdSettings) {
    this.client = new Etcd3({ hosts: s.hosts, dialTimeout: s.dialTimeoutMs ?? 3_000 });
    this.ns = this.client.namespace(s.namespace);
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.ns.get(key).string();
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async getWithRevision<T>(key: string): Promise<{ value: T; revision: string } | undefined> {
    const res = await this.ns.get(key).exec();
    const kv = res.kvs[0];
    if (!kv) return undefined;
    return { value: JSON.parse(kv.value.toString()) as T, revision: kv.mod_revision };
  }

  async list<T>(prefix: string): Promise<Map<string, T>> {
    const all = await this.ns.getAll().prefix(prefix).strings();
    const out = new Map<string, T>();
    for (const [k, v] of Object.entries(all)) out.set(k, JSON.parse(v) as T);
    return out;
  }

  async put<T>(key: string, value: T): Promise<void> {
    await this.ns.put(key).value(JSON.stringify(value)).exec();
  }

  async createIfAbsent<T>(key: string, value: T): Promise<boolean> {
    // create_revision 0 means "no such key": the transaction puts only then.
    const res = await this.ns
      .if(key, 'Create', '==', 0)
      .then(this.ns.put(key).value(JSON.stringify(value)))
      .commit();
    return res.succeeded;
  }

  async compareAndSet<T>(key: string, value: T, expectedRevision: string): Promise<boolean> {
    const res = await this.ns
      .if(key, 'Mod', '==', expectedRevision)
      .then(this.ns.put(key).value(JSON.stringify(value)))
      .commit();
    return res.succeeded;
  }

  async delete(key: string): Promise<boolean> {
    const res = await this.ns.delete().key(key).exec();
    return Number(res.deleted) > 0;
  }

  async watchPrefix(prefix: string, onChange: (change: KvChange) => void): Promise<() => Promise<void>> {
    const watcher = await this.ns.watch().prefix(prefix).create();
    watcher.on('put', (kv) => {
      let value: unknown;
      try {
        value = JSON.parse(kv.value.toString());
      } catch {
        return; // not ours: every value this store writes is JSON
      }
      onChange({ type: 'put', key: kv.key.toString(), value });
    });
    watcher.on('delete', (kv) => onChange({ type: 'delete', key: kv.key.toString() }));
    return () => watcher.cancel();
  }

  healthCheck(): HealthCheck {
    return { name: 'etcd', check: async () => void (await this.client.maintenance.status()) };
  }

  close(): void {
    this.client.close();
  }
}
