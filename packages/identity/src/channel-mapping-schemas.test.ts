import { describe, expect, it } from 'vitest';
import { channelFields, externalIdOf, isValidExternalId, MappingBodySchemas } from './channel-mapping-schemas';

describe('channel mapping bodies', () => {
  it('take a Telegram chat id only as an integer', () => {
    expect(MappingBodySchemas.telegram.safeParse({ chat_id: 123 }).success).toBe(true);
    expect(MappingBodySchemas.telegram.safeParse({ chat_id: -1001234567890 }).success).toBe(true);
    for (const chat_id of [1.5, '123', null, 2 ** 60, true]) {
      const r = MappingBodySchemas.telegram.safeParse({ chat_id });
      expect(r.success, String(chat_id)).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['chat_id']);
    }
  });
  it('take WhatsApp numbers only in E.164', () => {
    expect(MappingBodySchemas.whatsapp.safeParse({ phone: '+14155550100' }).success).toBe(true);
    for (const phone of ['14155550100', '+0123456789', '+1 415 555 0100', '+1234567890123456', '']) {
      expect(MappingBodySchemas.whatsapp.safeParse({ phone }).success, phone).toBe(false);
    }
  });
  it('take Instagram and Messenger ids of 1–64 safe characters', () => {
    expect(MappingBodySchemas.instagram.safeParse({ external_id: '17841400000000000' }).success).toBe(true);
    expect(MappingBodySchemas.messenger.safeParse({ external_id: 'a'.repeat(64) }).success).toBe(true);
    for (const external_id of ['', 'a'.repeat(65), 'a/b', 'a b']) {
      expect(MappingBodySchemas.messenger.safeParse({ external_id }).success, external_id).toBe(false);
    }
  });
  it('reject unknown fields', () => {
    const r = MappingBodySchemas.telegram.safeParse({ chat_id: 1, username: 'x' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.code).toBe('unrecognized_keys');
  });
  it('round-trip the channel field through the stored external id', () => {
    expect(externalIdOf('telegram', { chat_id: -42 })).toBe('-42');
    expect(channelFields('telegram', '-42')).toEqual({ chat_id: -42 });
    expect(externalIdOf('whatsapp', { phone: '+14155550100' })).toBe('+14155550100');
    expect(channelFields('whatsapp', '+14155550100')).toEqual({ phone: '+14155550100' });
    expect(externalIdOf('instagram', { external_id: 'abc' })).toBe('abc');
  });
  it('validate ids given by code with the same rules', () => {
    expect(isValidExternalId('telegram', '-100123')).toBe(true);
    expect(isValidExternalId('telegram', '12.5')).toBe(false);
    expect(isValidExternalId('whatsapp', '+14155550100')).toBe(true);
    expect(isValidExternalId('messenger', 'x/y')).toBe(false);
  });
});
