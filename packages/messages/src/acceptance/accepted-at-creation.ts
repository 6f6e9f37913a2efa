import type { Conversation } from '@hub/domain';

/**
 * Who accepted a conversation by its creation. A user who creates one
 * accepted it; the other members did not (yet): being put in a
 * conversation by a stranger must not share anyone's presence. A
 * conversation set up by an API client or a bridge was placed by the
 * operator's own systems (which may send as those users anyway), so all
 * its members count as accepted.
 */
export function acceptedAtCreation(conversation: Pick<Conversation, 'members' | 'created_by'>): readonly string[] {
  if (!conversation.created_by.startsWith('user:')) return conversation.members;
  const creator = conversation.created_by.slice('user:'.length);
  return conversation.members.includes(creator) ? [creator] : [];
}
