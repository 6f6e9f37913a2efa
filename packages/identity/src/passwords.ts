import { hash, verify, type Algorithm } from '@node-rs/argon2';

// Algorithm is an ambient const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

export interface PasswordHashSettings {
  /** Memory per hash in KiB; OWASP's argon2id baseline is 19456 (19 MiB) with 2 iterations. */
  memoryKib: number;
  timeCost: number;
}

export const DEFAULT_PASSWORD_HASH: PasswordHashSettings = { memoryKib: 19_456, timeCost: 2 };

/**
 * argon2id password hashing. Runs on libuv's thread pool, so a login does
 * not block the event loop; the encoded hash carries its own parameters,
 * so raising the cost later keeps old hashes verifiable.
 */
export class PasswordHasher {
  // A hash to verify against when the user does not exist, so "no such user"
  // takes as long as "wrong password" and usernames cannot be probed by timing.
  private dummy: Promise<string> | undefined;

  constructor(private readonly s: PasswordHashSettings = DEFAULT_PASSWORD_HASH) {}

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, memoryCost: this.s.memoryKib, timeCost: this.s.timeCost, parallelism: 1 });
  }

  async verify(encoded: string | undefined, password: string): Promise<boolean> {
    if (encoded === undefined) {
      await verify(await (this.dummy ??= this.hash('no-such-user-dummy-password')), password).catch(() => false);
      return false;
    }
    try {
      return await verify(encoded, password);
    } catch {
      return false; // a corrupt stored hash is a failed login, not a 500
    }
  }
}
