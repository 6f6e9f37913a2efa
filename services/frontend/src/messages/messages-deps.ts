import type { MiddlewareHandler } from 'hono';
import type { RateLimiter } from '@hub/identity';
import type {
  CachedConversationLookup,
  ConversationAcceptances,
  ConversationStore,
  MessageAccept,
  MessageReader,
  StatusStore,
} from '@hub/messages';
import type { AuthVariables, Histogram, Logger } from '@hub/platform';
import type { TimelineSources } from './timeline';

/** What the conversation and message routes need, built once at boot (compose-messages.ts). */
export interface MessagesDeps {
  /** The shared authenticated-request stack (token → principal → rate limit). */
  auth: MiddlewareHandler<{ Variables: AuthVariables }>;
  accept: MessageAccept;
  conversations: ConversationStore;
  lookup: CachedConversationLookup;
  /** Who accepted which conversation (presence privacy). */
  acceptances: ConversationAcceptances;
  /** Caps a user's conversation creations that name unknown usernames (username discovery). */
  unknownMembers: { limiter: RateLimiter; limit: number };
  messages: MessageReader;
  statuses: StatusStore;
  /** The records a message's timeline is read from. */
  timeline: TimelineSources;
  /** Does this registered user exist (directory cache first, then the store)? */
  userExists(username: string): Promise<boolean>;
  maxBodyBytes: number;
  acceptLatency: Histogram;
  logger: Logger;
}
