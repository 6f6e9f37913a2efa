import { hasScope, type Conversation, type Principal } from '@hub/domain';

/**
 * May this caller read the conversation's messages and statuses? Its
 * members with `messages:read`, and API clients with `messages:read`
 * (business systems reading what they are party to). Callers answer 404,
 * not 403, to anyone else, so conversation and message ids cannot be probed.
 */
export function mayRead(p: Principal, conversation: Pick<Conversation, 'members'>): boolean {
  if (!hasScope(p, 'messages:read')) return false;
  return p.kind === 'client' || conversation.members.includes(p.subject);
}
