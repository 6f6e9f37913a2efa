import { EtcdKeys, type UserRecord } from '@hub/domain';
import type { KeyValueStore } from '@hub/platform';
import type { PasswordHasher } from './passwords';
import { publicUser, type StoredUser } from './records';

export interface NewUser {
  username: string;
  password: string;
  display_name?: string;
}

/**
 * Users in etcd. Registration is one create-if-absent transaction on
 * users/<username>, so of two concurrent registrations of a name exactly
 * one wins. Reads for login go to etcd (not the cache) so a user can log in
 * on any instance right after registering.
 */
export class UsersRepository {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly hasher: PasswordHasher,
  ) {}

  /** The new user, or `taken` when the name exists. */
  async register(input: NewUser): Promise<UserRecord | 'taken'> {
    const key = EtcdKeys.user(input.username);
    // Cheap early answer for the common case; the transaction below decides races.
    if (await this.kv.get(key)) return 'taken';
    const stored: StoredUser = {
      username: input.username,
      ...(input.display_name ? { display_name: input.display_name } : {}),
      created_at: new Date().toISOString(),
      password_hash: await this.hasher.hash(input.password),
    };
    return (await this.kv.createIfAbsent(key, stored)) ? publicUser(stored) : 'taken';
  }

  async get(username: string): Promise<UserRecord | undefined> {
    const u = await this.kv.get<StoredUser>(EtcdKeys.user(username));
    return u ? publicUser(u) : undefined;
  }

  /** The user when the password matches; undefined otherwise (unknown users take as long as wrong passwords). */
  async authenticate(username: string, password: string): Promise<UserRecord | undefined> {
    const u = await this.kv.get<StoredUser>(EtcdKeys.user(username));
    const ok = await this.hasher.verify(u?.password_hash, password);
    return ok && u ? publicUser(u) : undefined;
  }
}
