/**
 * Who claimed a client-chosen message id, and for which request: the caller
 * (`submitted_by`) and a fingerprint of what they sent.
 */
export interface MessageIdClaim {
  caller: string;
  fingerprint: string;
}

/**
 * What claiming an id found:
 * - `claimed`: nobody held it; it is now this caller's, for this request;
 * - `repeat`: this caller already claimed it for the same request (a retry);
 * - `mismatch`: this caller already claimed it for a different request;
 * - `taken`: another caller holds it.
 */
export type ClaimOutcome = 'claimed' | 'repeat' | 'mismatch' | 'taken';

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
}

/** The outcome of a claim given what the store already held for the id (undefined: nothing, so it was claimed now). */
export function claimOutcome(held: MessageIdClaim | undefined, mine: MessageIdClaim): ClaimOutcome {
  if (!held) return 'claimed';
  if (held.caller !== mine.caller) return 'taken';
  return held.fingerprint === mine.fingerprint ? 'repeat' : 'mismatch';
}

/** Adapter for unit tests and the single-node profile: claims in a Map, never expiring. */
export class InMemoryMessageIdClaims implements MessageIdClaims {
  private readonly held = new Map<string, MessageIdClaim>();

  claim(messageId: string, claim: MessageIdClaim): Promise<ClaimOutcome> {
    const held = this.held.get(messageId);
    if (!held) this.held.set(messageId, { ...claim });
    return Promise.resolve(claimOutcome(held, claim));
  }
}
