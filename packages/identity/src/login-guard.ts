import type { RateDecision, RateLimiter } from './ports/rate-limiter';

export interface LoginGuardSettings {
  /** Failed logins on one account from one client address per window before that address is refused for that account. */
  maxFailuresPerAddress: number;
  /** Failed logins on one account from all addresses per window after which every attempt on it is slowed down. */
  slowdownAfter: number;
  /** How long each attempt on a slowed-down account waits before its credentials are checked (0: no wait). */
  slowdownMs: number;
}

/** `refused`: this address is locked out of this account (429 with the decision's reset time). `slowedMs`: how long the attempt was held. */
export type LoginAdmission = { admitted: true; slowedMs: number } | { admitted: false; decision: RateDecision };

// X-Forwarded-For is client text when TRUST_PROXY is on: bound what becomes part of a counter key.
const MAX_ADDRESS_CHARS = 64;

/**
 * Failed-login protection that an attacker cannot turn against the owner.
 * Failures are counted per account × client address: the address that
 * guesses is refused for that account (even with the right password, or
 * the limit would not stop guessing), while the owner at another address
 * still logs in. A second, account-wide counter sees guessing spread over
 * many addresses; past its threshold every attempt on the account waits
 * `slowdownMs` first, the right password included, but is never refused.
 * A success clears its own address's count only: it does not end an attack
 * from elsewhere.
 */
export class LoginGuard {
  constructor(
    private readonly perAddress: RateLimiter,
    private readonly perAccount: RateLimiter,
    private readonly s: LoginGuardSettings,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Before the credentials are checked: refuses a locked-out address, holds attempts on a slowed-down account. */
  async admit(account: string, address: string): Promise<LoginAdmission> {
    const [mine, all] = await Promise.all([
      this.perAddress.peek(addressKey(account, address), this.s.maxFailuresPerAddress),
      this.perAccount.peek(account, this.s.slowdownAfter),
    ]);
    if (!mine.allowed) return { admitted: false, decision: mine };
    if (all.allowed || this.s.slowdownMs <= 0) return { admitted: true, slowedMs: 0 };
    await this.sleep(this.s.slowdownMs);
    return { admitted: true, slowedMs: this.s.slowdownMs };
  }

  /** After wrong credentials. `slowingDown`: this failure reached the account-wide threshold (log it once). */
  async failed(account: string, address: string): Promise<{ slowingDown: boolean }> {
    const [, all] = await Promise.all([
      this.perAddress.consume(addressKey(account, address), this.s.maxFailuresPerAddress),
      this.perAccount.consume(account, this.s.slowdownAfter),
    ]);
    return { slowingDown: all.allowed && all.remaining === 0 };
  }

  /** After the right credentials: this address starts afresh for this account. */
  async succeeded(account: string, address: string): Promise<void> {
    await this.perAddress.reset(addressKey(account, address));
  }
}

function addressKey(account: string, address: string): string {
  return `${account}@${address.slice(0, MAX_ADDRESS_CHARS)}`;
}
