import { z } from 'zod';

/** 3–32 characters: lower-case letters, digits, `_`, `.`, `-`; starts with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{2,31}$/;
export const UsernameSchema = z
  .string()
  .min(3, 'must be at least 3 characters')
  .max(32, 'must be at most 32 characters')
  .regex(USERNAME_PATTERN, 'lower-case letters, digits, "_", "." and "-" only, starting with a letter or digit');

export const SCOPES = ['messages:send', 'messages:read', 'webhooks:manage', 'files:write', 'admin'] as const;
export const ScopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof ScopeSchema>;

/** What an end user's token may do (always only as and for themselves). */
export const USER_SCOPES: readonly Scope[] = ['messages:send', 'messages:read', 'files:write'];

/**
 * Who is calling, as established from a verified access token.
 * `user`: an end user acting as `subject` (their username).
 * `client`: a business system (API client) `subject` = client_id, acting
 * for any user or as its own `senderName`, within its scopes.
 */
export type Principal =
  | { kind: 'user'; subject: string; scopes: readonly Scope[]; sessionId: string }
  | { kind: 'client'; subject: string; scopes: readonly Scope[]; senderName?: string };

/**
 * `user:alice` or `client:<client_id>`: how the hub names a caller wherever
 * it is stored or compared (submitted_by, uploaded_by, created_by, replays,
 * per-caller rate limit and login-guard keys).
 */
export function principalRef(p: { kind: Principal['kind']; subject: string }): string {
  return `${p.kind}:${p.subject}`;
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes(scope) || (p.kind === 'client' && p.scopes.includes('admin'));
}

export function isAdmin(p: Principal): boolean {
  return p.kind === 'client' && p.scopes.includes('admin');
}
