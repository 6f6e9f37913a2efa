import '@hub/platform'; // registers .openapi() on zod schemas
import { z } from 'zod';
import type { ExternalChannel } from '@hub/domain';

export const EXTERNAL_CHANNELS = ['telegram', 'whatsapp', 'instagram', 'messenger'] as const satisfies readonly ExternalChannel[];
export const ExternalChannelSchema = z.enum(EXTERNAL_CHANNELS);

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
export const E164_PATTERN = /^\+[1-9]\d{6,14}$/;
/** Meta page-scoped ids are digits, but other providers use letters too; no `/` since the id is part of an etcd key. */
export const PROVIDER_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

const providerId = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(PROVIDER_ID_PATTERN, 'letters, digits, "_", ".", ":" and "-" only');

/** Request bodies of PUT /v1/users/{username}/channels/{channel}, one per channel. */
export const MappingBodySchemas = {
  telegram: z
    .strictObject({
      chat_id: z
        .number({ error: 'must be an integer' })
        .int('must be an integer')
        .refine(Number.isSafeInteger, 'must be a safe integer')
        .openapi({ description: 'Telegram chat id (an integer; negative for groups).', example: 123456789 }),
    })
    .openapi('TelegramMapping'),
  whatsapp: z
    .strictObject({
      phone: z.string().regex(E164_PATTERN, 'must be an E.164 phone number such as +14155550100').openapi({ example: '+14155550100' }),
    })
    .openapi('WhatsappMapping'),
  instagram: z.strictObject({ external_id: providerId.openapi({ description: 'Instagram-scoped user id.' }) }).openapi('InstagramMapping'),
  messenger: z
    .strictObject({ external_id: providerId.openapi({ description: 'Messenger page-scoped user id (PSID).' }) })
    .openapi('MessengerMapping'),
} as const;

export type MappingBody<C extends ExternalChannel = ExternalChannel> = z.infer<(typeof MappingBodySchemas)[C]>;

/** The channel's own id as the string stored in etcd and used in the reverse index. */
export function externalIdOf(channel: ExternalChannel, body: MappingBody): string {
  switch (channel) {
    case 'telegram':
      return String((body as MappingBody<'telegram'>).chat_id);
    case 'whatsapp':
      return (body as MappingBody<'whatsapp'>).phone;
    default:
      return (body as MappingBody<'instagram'>).external_id;
  }
}

/** The channel-specific field, for responses: what the client sent is what it reads back. */
export function channelFields(channel: ExternalChannel, externalId: string): Record<string, string | number> {
  switch (channel) {
    case 'telegram':
      return { chat_id: Number(externalId) };
    case 'whatsapp':
      return { phone: externalId };
    default:
      return {};
  }
}

/** Validates an external id given by code (e.g. the Telegram link flow), with the same rules as the API. */
export function isValidExternalId(channel: ExternalChannel, externalId: string): boolean {
  switch (channel) {
    case 'telegram':
      return /^-?\d{1,16}$/.test(externalId) && Number.isSafeInteger(Number(externalId));
    case 'whatsapp':
      return E164_PATTERN.test(externalId);
    default:
      return PROVIDER_ID_PATTERN.test(externalId);
  }
}
