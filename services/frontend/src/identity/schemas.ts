import { z } from 'zod';
import { CHANNELS, SCOPES, ScopeSchema, UsernameSchema } from '@hub/domain';
import {
  ClientIdSchema,
  CreateClientRequestSchema,
  ExternalChannelSchema,
  MappingBodySchemas,
  PASSWORD_MAX,
  RegisterRequestSchema,
} from '@hub/identity';

// Request and response shapes of the identity endpoints, for validation and the OpenAPI document.

export { CreateClientRequestSchema, RegisterRequestSchema };

const ScopeParam = z
  .string()
  .max(200)
  .transform((s) => s.split(' ').filter(Boolean))
  .pipe(z.array(ScopeSchema))
  .openapi({
    type: 'string',
    description: `Space-separated subset of the granted scopes (${SCOPES.join(', ')}).`,
    example: 'messages:send messages:read',
  });

export const PasswordGrantSchema = z.strictObject({
  grant_type: z.literal('password'),
  username: UsernameSchema,
  // Not the registration rules: a password set under older rules must still log in.
  password: z.string().min(1, 'must not be empty').max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`),
  scope: ScopeParam.optional(),
});

export const ClientCredentialsGrantSchema = z.strictObject({
  grant_type: z.literal('client_credentials'),
  client_id: ClientIdSchema.optional().openapi({ description: 'Or send client_id:client_secret as HTTP Basic credentials.' }),
  client_secret: z.string().min(1, 'must not be empty').max(256).optional(),
  scope: ScopeParam.optional(),
});

export const RefreshTokenSchema = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

export const RefreshGrantSchema = z.strictObject({
  grant_type: z.literal('refresh_token'),
  refresh_token: RefreshTokenSchema,
});

export const TokenRequestSchema = z
  .discriminatedUnion('grant_type', [PasswordGrantSchema, ClientCredentialsGrantSchema, RefreshGrantSchema], {
    error: 'must be "password", "client_credentials" or "refresh_token"',
  })
  .openapi('TokenRequest');

export const RefreshRequestSchema = z
  .strictObject({ refresh_token: RefreshTokenSchema, grant_type: z.literal('refresh_token').optional() })
  .openapi('RefreshRequest');

export const TokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Access token lifetime in seconds.' }),
    refresh_token: z
      .string()
      .optional()
      .openapi({ description: 'Users only: single-use, rotated by POST /v1/auth/refresh; valid 30 days.' }),
    scope: z.string(),
  })
  .openapi('TokenResponse');

export const UserSchema = z.object({ username: z.string(), display_name: z.string().optional(), created_at: z.string() }).openapi('User');

export const PrincipalSchema = z
  .object({
    kind: z.enum(['user', 'client']),
    subject: z.string().openapi({ description: 'Username or client id.' }),
    scopes: z.array(ScopeSchema),
    session_id: z.string().optional(),
    sender_name: z.string().optional(),
  })
  .openapi('Principal');

export const ClientSchema = z
  .object({
    client_id: z.string(),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    sender_name: z.string().optional(),
    rate_limit_per_min: z.number().int().optional(),
    created_at: z.string(),
  })
  .openapi('ApiClient');

export const CreatedClientSchema = ClientSchema.extend({
  client_secret: z.string().openapi({ description: 'Shown only in this response; store it now.' }),
}).openapi('CreatedApiClient');

export const ClientIdParamsSchema = z.strictObject({ client_id: ClientIdSchema });

export const MappingParamsSchema = z.strictObject({ username: UsernameSchema, channel: ExternalChannelSchema });
export const UserParamsSchema = z.strictObject({ username: UsernameSchema });

export const MappingBodySchema = z
  .union([MappingBodySchemas.telegram, MappingBodySchemas.whatsapp, MappingBodySchemas.instagram, MappingBodySchemas.messenger])
  .openapi('ChannelMappingBody', {
    description: 'telegram: {chat_id: integer}; whatsapp: {phone: E.164}; instagram and messenger: {external_id}.',
  });

export const MappingSchema = z
  .object({
    username: z.string(),
    channel: z.enum(CHANNELS.filter((c) => c !== 'internal') as ['telegram', 'whatsapp', 'instagram', 'messenger']),
    external_id: z.string().openapi({ description: 'The id on that channel, as a string.' }),
    chat_id: z.number().int().optional(),
    phone: z.string().optional(),
    linked_at: z.string(),
  })
  .openapi('ChannelMapping');
