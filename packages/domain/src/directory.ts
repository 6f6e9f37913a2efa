import type { ExternalChannel } from './message';

export interface UserRecord {
  username: string;
  display_name?: string;
  created_at: string;
}

export interface ChannelMapping {
  username: string;
  channel: ExternalChannel;
  /** The user's id on that channel (a Telegram chat id as a decimal string, a phone number, …). */
  external_id: string;
  linked_at: string;
}

/**
 * Port: the read side of identity for hot paths (accept, routing, bridges).
 * Answers from an in-process cache that an etcd watch keeps fresh, so no
 * call here touches the network; `ready()` resolves once the cache is loaded.
 */
export interface IdentityDirectory {
  ready(): Promise<void>;
  getUser(username: string): UserRecord | undefined;
  getMapping(username: string, channel: ExternalChannel): ChannelMapping | undefined;
  /** Reverse lookup for inbound bridges: who is this external id on that channel? */
  findUserByExternalId(channel: ExternalChannel, externalId: string): string | undefined;
}

/**
 * etcd key layout (under the configured namespace, ETCD_NAMESPACE):
 *   users/<username>                         UserRecord + password_hash
 *   clients/<client_id>                      API client (secret_hash, scopes, rate limit)
 *   mappings/<username>/<channel>            ChannelMapping
 *   channel-index/<channel>/<external_id>    { username }
 *   webhooks/<owner>/<webhook_id>            webhook registration
 */
export const EtcdKeys = {
  user: (username: string) => `users/${username}`,
  users: 'users/',
  client: (clientId: string) => `clients/${clientId}`,
  clients: 'clients/',
  mapping: (username: string, channel: string) => `mappings/${username}/${channel}`,
  mappings: 'mappings/',
  channelIndex: (channel: string, externalId: string) => `channel-index/${channel}/${externalId}`,
  webhook: (owner: string, id: string) => `webhooks/${owner}/${id}`,
  webhooks: 'webhooks/',
} as const;
