import { EtcdKeys, type ChannelMapping, type ExternalChannel, type IdentityDirectory, type UserRecord } from '@hub/domain';
import { PrefixMirror, type KeyValueStore, type KvChange, type Logger } from '@hub/platform';
import type { ChannelIndexEntry } from './channel-mappings.repository';
import { publicClient, publicUser, type ApiClient, type StoredClient, type StoredUser } from './records';

const PREFIXES = [EtcdKeys.users, EtcdKeys.clients, EtcdKeys.mappings, 'channel-index/'] as const;
/** How long a client id that etcd did not know is remembered as absent (tokens of deleted clients). */
const NEGATIVE_CLIENT_TTL_MS = 5_000;

/**
 * IdentityDirectory as an in-process cache of the etcd identity keys,
 * loaded once and kept fresh by prefix watches: lookups never touch the
 * network. Secrets and password hashes are stripped before caching.
 *
 * Loaded and kept fresh as a PrefixMirror (no change made while loading
 * is lost; a malformed value written by hand is logged and skipped).
 */
export class WatchedIdentityDirectory extends PrefixMirror implements IdentityDirectory {
  private readonly users = new Map<string, UserRecord>();
  private readonly clients = new Map<string, ApiClient>();
  private readonly mappings = new Map<string, ChannelMapping>();
  private readonly index = new Map<string, string>();
  private readonly missingClients = new Map<string, number>();

  constructor(kv: KeyValueStore, logger?: Logger) {
    super(kv, { prefixes: PREFIXES, what: 'identity record' }, logger);
  }

  getUser(username: string): UserRecord | undefined {
    return this.users.get(username);
  }

  getMapping(username: string, channel: ExternalChannel): ChannelMapping | undefined {
    return this.mappings.get(`${username}/${channel}`);
  }

  listMappings(username: string): ChannelMapping[] {
    const out: ChannelMapping[] = [];
    for (const m of this.mappings.values()) if (m.username === username) out.push(m);
    return out.sort((a, b) => a.channel.localeCompare(b.channel));
  }

  findUserByExternalId(channel: ExternalChannel, externalId: string): string | undefined {
    const username = this.index.get(`${channel}/${externalId}`);
    // Only a claim the user's own mapping confirms counts (see ChannelMappingsRepository).
    if (username === undefined || this.getMapping(username, channel)?.external_id !== externalId) return undefined;
    return username;
  }

  getClient(clientId: string): ApiClient | undefined {
    return this.clients.get(clientId);
  }

  listClients(): ApiClient[] {
    return [...this.clients.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.client_id.localeCompare(b.client_id));
  }

  /**
   * The client from the cache, or, on a miss, from etcd: a client created
   * on another instance a moment ago may not have reached this cache yet.
   * Misses are remembered briefly so tokens of deleted clients cost no etcd
   * read per request.
   */
  async resolveClient(clientId: string): Promise<ApiClient | undefined> {
    const cached = this.clients.get(clientId);
    if (cached) return cached;
    const missingSince = this.missingClients.get(clientId);
    if (missingSince !== undefined && Date.now() - missingSince < NEGATIVE_CLIENT_TTL_MS) return undefined;
    const stored = await this.kv.get<StoredClient>(EtcdKeys.client(clientId));
    if (!stored) {
      if (this.missingClients.size > 10_000) this.missingClients.clear();
      this.missingClients.set(clientId, Date.now());
      return undefined;
    }
    const client = publicClient(stored);
    this.clients.set(clientId, client);
    return client;
  }

  /**
   * Applies a change this process just wrote, so it reads its own writes
   * without waiting for the watch (which delivers the same change again).
   */
  apply(change: KvChange): void {
    const [prefix, ...rest] = change.key.split('/');
    const value = change.type === 'put' ? change.value : undefined;
    switch (`${prefix}/`) {
      case EtcdKeys.users: {
        const username = rest.join('/');
        if (value) this.users.set(username, publicUser(value as StoredUser));
        else this.users.delete(username);
        break;
      }
      case EtcdKeys.clients: {
        const id = rest.join('/');
        if (value) {
          this.clients.set(id, publicClient(value as StoredClient));
          this.missingClients.delete(id);
        } else this.clients.delete(id);
        break;
      }
      case EtcdKeys.mappings: {
        const k = rest.join('/');
        if (value) this.mappings.set(k, value as ChannelMapping);
        else this.mappings.delete(k);
        break;
      }
      case 'channel-index/': {
        const k = rest.join('/');
        if (value) this.index.set(k, (value as ChannelIndexEntry).username);
        else this.index.delete(k);
        break;
      }
      default:
        break;
    }
  }

  protected counts(): Record<string, number> {
    return { users: this.users.size, clients: this.clients.size, mappings: this.mappings.size };
  }
}
