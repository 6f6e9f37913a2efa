import { EtcdKeys, newId, type Scope } from '@hub/domain';
import type { KeyValueStore } from '@hub/platform';
import { publicClient, type ApiClient, type CreateClientRequest, type StoredClient } from './records';
import { newSecret, secretMatches, sha256Hex } from './secrets';

/**
 * API clients of business systems in etcd. The secret is generated here,
 * returned once, and only its digest is stored.
 */
export class ClientsRepository {
  constructor(private readonly kv: KeyValueStore) {}

  async create(req: CreateClientRequest): Promise<{ client: ApiClient; secret: string }> {
    const secret = newSecret('cs');
    const stored: StoredClient = {
      client_id: newId(),
      name: req.name,
      scopes: [...req.scopes],
      ...(req.sender_name ? { sender_name: req.sender_name } : {}),
      ...(req.rate_limit_per_min ? { rate_limit_per_min: req.rate_limit_per_min } : {}),
      created_at: new Date().toISOString(),
      secret_hash: sha256Hex(secret),
    };
    // UUIDv7 ids do not collide in practice; create-if-absent makes sure one never overwrites another.
    if (!(await this.kv.createIfAbsent(EtcdKeys.client(stored.client_id), stored))) throw new Error('client id collision');
    return { client: publicClient(stored), secret };
  }

  async get(clientId: string): Promise<ApiClient | undefined> {
    const c = await this.kv.get<StoredClient>(EtcdKeys.client(clientId));
    return c ? publicClient(c) : undefined;
  }

  async list(): Promise<ApiClient[]> {
    const all = await this.kv.list<StoredClient>(EtcdKeys.clients);
    return [...all.values()]
      .map(publicClient)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.client_id.localeCompare(b.client_id));
  }

  async delete(clientId: string): Promise<boolean> {
    return this.kv.delete(EtcdKeys.client(clientId));
  }

  /** The client when the secret matches; undefined otherwise. */
  async authenticate(clientId: string, secret: string): Promise<ApiClient | undefined> {
    const c = await this.kv.get<StoredClient>(EtcdKeys.client(clientId));
    if (!c) {
      secretMatches(secret, '0'.repeat(64)); // same work as a wrong secret
      return undefined;
    }
    return secretMatches(secret, c.secret_hash) ? publicClient(c) : undefined;
  }

  /**
   * Makes sure the configured admin client exists with the `admin` scope
   * and the configured secret. Idempotent and safe when several instances
   * start at once: creation is a create-if-absent, an update a
   * compare-and-set on the revision that was read.
   */
  async ensureAdmin(clientId: string, secret: string): Promise<'created' | 'updated' | 'unchanged'> {
    const key = EtcdKeys.client(clientId);
    const desired = (existing?: StoredClient): StoredClient => ({
      client_id: clientId,
      name: existing?.name ?? 'admin (bootstrapped from config)',
      scopes: [...new Set<Scope>([...(existing?.scopes ?? []), 'admin'])],
      ...(existing?.sender_name ? { sender_name: existing.sender_name } : {}),
      ...(existing?.rate_limit_per_min ? { rate_limit_per_min: existing.rate_limit_per_min } : {}),
      created_at: existing?.created_at ?? new Date().toISOString(),
      secret_hash: sha256Hex(secret),
    });
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.kv.getWithRevision<StoredClient>(key);
      if (!current) {
        if (await this.kv.createIfAbsent(key, desired())) return 'created';
        continue;
      }
      const c = current.value;
      if (c.scopes.includes('admin') && secretMatches(secret, c.secret_hash)) return 'unchanged';
      if (await this.kv.compareAndSet(key, desired(c), current.revision)) return 'updated';
    }
    throw new Error(`could not bootstrap admin client ${clientId}: concurrent writers kept changing it`);
  }
}
