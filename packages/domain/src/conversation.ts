import { z } from 'zod';

export const CONVERSATION_TYPES = ['direct', 'group'] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];

/** Most members a group conversation may have (a message fans out to at most this many minus the sender). */
export const MAX_CONVERSATION_MEMBERS = 256;

/** A conversation as the API shows it. Members are fixed at creation. */
export interface Conversation {
  conversation_id: string;
  type: ConversationType;
  members: string[];
  name?: string;
  created_at: string;
  /** Who created it: `user:alice` or `client:<client_id>`. */
  created_by: string;
}

export const ConversationTypeSchema = z.enum(CONVERSATION_TYPES);

/**
 * Namespace of direct-conversation ids: a direct conversation's id is
 * nameBasedId(DIRECT_CONVERSATION_NAMESPACE, sorted members), so the pair
 * has exactly one, however often or concurrently it is created.
 */
export const DIRECT_CONVERSATION_NAMESPACE = '6f0d3a52-6c1e-5b8e-9a57-1c2f4d3e8b90';

export function directConversationKey(a: string, b: string): string {
  return [a, b].sort().join('\n');
}
