import type { MiddlewareHandler } from 'hono';
import type { CachedConversationLookup, ConversationStore, MessageAccept, MessageReader, StatusStore } from '@hub/messages';
import type { AuthVariables, Histogram, Logger } from '@hub/platform';

/** What the conversation and message routes need, built once at boot (compose-messages.ts). */
export interface MessagesDeps {
  /** The shared authenticated-request stack (token → principal → rate limit). */
  auth: MiddlewareHandler<{ Variables: AuthVariables }>;
  accept: MessageAccept;
  conversations: ConversationStore;
  lookup: CachedConversationLookup;
  messages: MessageReader;
  statuses: StatusStore;
  /** Does this registered user exist (directory cache first, then the store)? */
  userExists(username: string): Promise<boolean>;
  maxBodyBytes: number;
  acceptLatency: Histogram;
  logger: Logger;
}
