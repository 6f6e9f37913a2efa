import { hasScope, type Principal } from '@hub/domain';

/**
 * May this caller submit a message whose `from` is `from`? A user only as
 * themselves; an API client as any user or as its own sender name. Both
 * need the `messages:send` scope. Pure, so every intake path (REST accept,
 * WebSocket send) applies the same rule.
 */
export function maySendAs(p: Principal, from: string): boolean {
  if (!hasScope(p, 'messages:send')) return false;
  if (p.kind === 'user') return p.subject === from;
  return true;
}

/** Why maySendAs said no, worded for a 403 problem detail. */
export function sendAsRefusal(p: Principal, from: string): string | undefined {
  if (!hasScope(p, 'messages:send')) return 'this operation needs the "messages:send" scope';
  if (p.kind === 'user' && p.subject !== from) return `a user token may only send as its own user (${p.subject}), not as "${from}"`;
  return undefined;
}
