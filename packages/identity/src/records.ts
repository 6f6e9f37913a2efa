import '@hub/platform'; // registers .openapi() on zod schemas before this module uses it
import { z } from 'zod';
import { ScopeSchema, UsernameSchema, type Scope, type UserRecord } from '@hub/domain';

/** What etcd holds under users/<username>: the public record plus the password hash (never leaves this package). */
export interface StoredUser extends UserRecord {
  password_hash: string;
}

/** An API client as the hot path sees it: no secret material. */
export interface ApiClient {
  client_id: string;
  name: string;
  scopes: Scope[];
  /** The name this client may send messages as, besides any user. */
  sender_name?: string;
  /** Overrides the default requests-per-minute limit for this client. */
  rate_limit_per_min?: number;
  created_at: string;
}

/** What etcd holds under clients/<client_id>. */
export interface StoredClient extends ApiClient {
  /** SHA-256 (hex) of the secret: secrets are 256-bit random, so a slow hash adds nothing but latency. */
  secret_hash: string;
}

/** Client ids appear in etcd keys and URLs: no `/`, nothing that needs escaping. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/;
export const ClientIdSchema = z
  .string()
  .regex(CLIENT_ID_PATTERN, '3–64 characters: letters, digits, "_", "." and "-", starting with a letter or digit');

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const PasswordSchema = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`)
  // Control characters are never typed on purpose; rejecting them avoids passwords a user cannot type again.
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
  .openapi({
    description: `${PASSWORD_MIN}–${PASSWORD_MAX} characters, any printable Unicode characters (spaces allowed), no control characters; must differ from the username.`,
  });

export const DisplayNameSchema = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters');

export const RegisterRequestSchema = z
  .strictObject({
    // describe(), not openapi(): domain schemas are built before zod-to-openapi extends zod.
    username: UsernameSchema.describe(
      '3–32 characters: lower-case letters a–z, digits, "_", "." and "-", starting with a letter or digit.',
    ),
    password: PasswordSchema,
    display_name: DisplayNameSchema.optional(),
  })
  .refine((b) => b.password !== b.username, { path: ['password'], message: 'must differ from the username' })
  .openapi('RegisterRequest');

export const SCOPE_LIST = ScopeSchema.options;

export const CreateClientRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    scopes: z
      .array(ScopeSchema)
      .min(1, 'must name at least one scope')
      .refine((s) => new Set(s).size === s.length, 'scopes must not repeat'),
    sender_name: UsernameSchema.optional().openapi({ description: 'A name (same rules as usernames) this client may send messages as.' }),
    rate_limit_per_min: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .openapi({ description: 'Requests per minute for this client; the server default applies when absent.' }),
  })
  .openapi('CreateClientRequest');
export type CreateClientRequest = z.infer<typeof CreateClientRequestSchema>;

export function publicClient(c: StoredClient | ApiClient): ApiClient {
  return {
    client_id: c.client_id,
    name: c.name,
    scopes: [...c.scopes],
    ...(c.sender_name ? { sender_name: c.sender_name } : {}),
    ...(c.rate_limit_per_min ? { rate_limit_per_min: c.rate_limit_per_min } : {}),
    created_at: c.created_at,
  };
}

export function publicUser(u: StoredUser | UserRecord): UserRecord {
  return { username: u.username, ...(u.display_name ? { display_name: u.display_name } : {}), created_at: u.created_at };
}
