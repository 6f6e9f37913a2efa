/**
 * Who claimed a client-chosen message id, and for which request: the caller
 * (`submitted_by`) and a fingerprint of what they sent.
 */
export interface MessageIdClaim {
  caller: string;
  fingerprint: string;
}

/**
 * The fingerprint of a claim set from a stored message rather than from a
 * request (see MessageIdClaims.hold): the stored message does not say
 * exactly which request it came from, so its owner's sends under the id are
 * compared with the store, not with a fingerprint. Never a real fingerprint
 * (those are 43-character SHA-256 digests).
 */
export const STORED_FINGERPRINT = 'stored';

/**
 * What claiming an id found:
 * - `claimed`: nobody held it; it is now this caller's, for this request
 *   (until the store is checked: the id may be stored already, its earlier
 *   claim expired or lost);
 * - `repeat`: this caller already claimed it for the same request (a
 *   retry), or holds it for the message stored under it;
 * - `mismatch`: this caller already claimed it for a different request;
 * - `taken`: another caller claimed it when sending (which the store may
 *   still overrule: that claim can be a new one over an expired claim);
 * - `taken_stored`: another caller holds it, as the stored message showed.
 */
export type ClaimOutcome = 'claimed' | 'repeat' | 'mismatch' | 'taken' | 'taken_stored';

/**
 * Port: the accept path's claim of a client-chosen message id, decided
 * before the message is answered 202, so an id is only ever accepted for
 * the caller who used it first. Claiming is atomic (two callers racing for
 * one id: exactly one gets `claimed`) and held for a TTL that covers the
 * window in which clients retry. Rejects when the store is unreachable; the
 * caller must then not accept the message.
 */
export interface MessageIdClaims {
  claim(messageId: string, claim: MessageIdClaim): Promise<ClaimOutcome>;
  /**
   * Sets the claim whatever it held (with a fresh TTL): the owner of the
   * message stored under the id, with STORED_FINGERPRINT, once the accept
   * path found it there. Rejects when the store is unreachable.
   */
  hold(messageId: string, owner: string): Promise<void>;
}

/** The outcome of a claim given what the store already held for the id (undefined: nothing, so it was claimed now). */
export function claimOutcome(held: MessageIdClaim | undefined, mine: MessageIdClaim): ClaimOutcome {
  if (!held) return 'claimed';
  if (held.caller !== mine.caller) return held.fingerprint === STORED_FINGERPRINT ? 'taken_stored' : 'taken';
  return held.fingerprint === mine.fingerprint || held.fingerprint === STORED_FINGERPRINT ? 'repeat' : 'mismatch';
}

/** Adapter for unit tests and the single-node profile: claims in a Map, never expiring. */
export class InMemoryMessageIdClaims implements MessageIdClaims {
  private readonly held = new Map<string, MessageIdClaim>();

  claim(messageId: string, claim: MessageIdClaim): Promise<ClaimOutcome> {
    const held = this.held.get(messageId);
    if (!held) this.held.set(messageId, { ...claim });
    return Promise.resolve(claimOutcome(held, claim));
  }

  hold(messageId: string, owner: string): Promise<void> {
    this.held.set(messageId, { caller: owner, fingerprint: STORED_FINGERPRINT });
    return Promise.resolve();
  }

  /** Forgets a claim, as an expired or lost one is forgotten (for tests). */
  forget(messageId: string): void {
    this.held.delete(messageId);
  }
}
