import { EtcdKeys, type ChannelMapping, type ExternalChannel } from '@hub/domain';
import type { KeyValueStore } from '@hub/platform';

/** Value of channel-index/<channel>/<external_id>: who claimed that external id, and when. */
export interface ChannelIndexEntry {
  username: string;
  claimed_at?: string;
}

export type LinkResult = { ok: true; mapping: ChannelMapping; created: boolean } | { ok: false; conflict: 'linked_to_another_user' };

/** A claim whose owner never wrote the matching mapping (crash mid-link) is reclaimable after this long. */
const STALE_CLAIM_MS = 30_000;

/**
 * Channel mappings (user ↔ external id) and their reverse index in etcd.
 * The index key is claimed first with create-if-absent, so one external id
 * belongs to at most one user; the mapping is written after. Readers treat
 * an index entry as valid only when the user's mapping points back at it,
 * so a half-done link (crash between the two writes) is never visible.
 * Used by the REST endpoints and by bridges that link accounts (Telegram /start).
 */
export class ChannelMappingsRepository {
  constructor(private readonly kv: KeyValueStore) {}

  async link(username: string, channel: ExternalChannel, externalId: string): Promise<LinkResult> {
    const indexKey = EtcdKeys.channelIndex(channel, externalId);
    const claim: ChannelIndexEntry = { username, claimed_at: new Date().toISOString() };
    if (!(await this.kv.createIfAbsent(indexKey, claim))) {
      const current = await this.kv.getWithRevision<ChannelIndexEntry>(indexKey);
      if (!current) {
        if (!(await this.kv.createIfAbsent(indexKey, claim))) return { ok: false, conflict: 'linked_to_another_user' };
      } else if (current.value.username !== username) {
        if (!(await this.isStale(current.value, channel, externalId))) return { ok: false, conflict: 'linked_to_another_user' };
        if (!(await this.kv.compareAndSet(indexKey, claim, current.revision))) return { ok: false, conflict: 'linked_to_another_user' };
      }
    }
    const mappingKey = EtcdKeys.mapping(username, channel);
    const previous = await this.kv.get<ChannelMapping>(mappingKey);
    const unchanged = previous?.external_id === externalId;
    const mapping: ChannelMapping = {
      username,
      channel,
      external_id: externalId,
      linked_at: unchanged ? previous.linked_at : new Date().toISOString(),
    };
    if (!unchanged) await this.kv.put(mappingKey, mapping);
    if (previous && !unchanged) await this.release(username, channel, previous.external_id);
    return { ok: true, mapping, created: !previous };
  }

  async get(username: string, channel: ExternalChannel): Promise<ChannelMapping | undefined> {
    return this.kv.get<ChannelMapping>(EtcdKeys.mapping(username, channel));
  }

  async list(username: string): Promise<ChannelMapping[]> {
    return [...(await this.kv.list<ChannelMapping>(EtcdKeys.mapping(username, ''))).values()];
  }

  /** Removes the mapping and its index entry; false when there was none. */
  async unlink(username: string, channel: ExternalChannel): Promise<boolean> {
    const mappingKey = EtcdKeys.mapping(username, channel);
    const previous = await this.kv.get<ChannelMapping>(mappingKey);
    if (!previous) return false;
    await this.kv.delete(mappingKey);
    await this.release(username, channel, previous.external_id);
    return true;
  }

  private async release(username: string, channel: ExternalChannel, externalId: string): Promise<void> {
    const key = EtcdKeys.channelIndex(channel, externalId);
    const current = await this.kv.get<ChannelIndexEntry>(key);
    if (current?.username === username) await this.kv.delete(key);
  }

  private async isStale(entry: ChannelIndexEntry, channel: ExternalChannel, externalId: string): Promise<boolean> {
    const theirs = await this.kv.get<ChannelMapping>(EtcdKeys.mapping(entry.username, channel));
    if (theirs?.external_id === externalId) return false;
    const claimedAt = entry.claimed_at ? Date.parse(entry.claimed_at) : 0;
    return Date.now() - claimedAt > STALE_CLAIM_MS;
  }
}
