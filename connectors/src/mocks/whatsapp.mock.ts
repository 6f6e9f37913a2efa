import { z } from 'zod';
import type { InboundEvent } from '../connector';
import { inboundParseError } from './inbound-issues';
import { MockConnector, type MockBehaviour, type MockChannelProfile } from './mock.connector';

// The WhatsApp Cloud API webhook shape (only the fields the hub reads; others pass).
const WaMessage = z.object({
  from: z.string().min(1),
  id: z.string().min(1),
  timestamp: z.string(),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
});
const WaWebhook = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      id: z.string(),
      changes: z.array(
        z.object({
          field: z.string(),
          value: z.object({
            contacts: z.array(z.object({ wa_id: z.string(), profile: z.object({ name: z.string() }).optional() })).optional(),
            messages: z.array(WaMessage).optional(),
          }),
        }),
      ),
    }),
  ),
});

export const whatsappProfile: MockChannelProfile = {
  channel: 'whatsapp',
  capabilities: { maxTextLength: 4096, files: { maxUrlBytes: 100 * 1024 * 1024, maxUploadBytes: 100 * 1024 * 1024 } },
  // WhatsApp ids are E.164 phone numbers. The hub maps WhatsApp users by E.164 with its "+" (PUT /v1/users/{u}/channels/whatsapp); the Cloud API takes the number with or without it.
  isValidRecipient: (id) => /^\+?\d{6,15}$/.test(id),
  parseInbound(body) {
    const parsed = WaWebhook.safeParse(body);
    if (!parsed.success) throw inboundParseError('WhatsApp', parsed.error);
    const events: InboundEvent[] = [];
    for (const entry of parsed.data.entry) {
      for (const change of entry.changes) {
        const names = new Map((change.value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
        for (const m of change.value.messages ?? []) {
          const name = names.get(m.from);
          const from = { externalId: m.from, ...(name ? { displayName: name } : {}) };
          if (m.type === 'text' && m.text) events.push({ kind: 'text', eventId: m.id, from, externalMessageId: m.id, text: m.text.body });
          else events.push({ kind: 'ignored', eventId: m.id, from, reason: `message type "${m.type}" is not handled` });
        }
      }
    }
    return events;
  },
  inboundText: (from, text, eventId) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'mock-waba',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              contacts: [{ wa_id: from, profile: { name: `WhatsApp ${from}` } }],
              messages: [{ from, id: eventId, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
            },
          },
        ],
      },
    ],
  }),
};

export function createWhatsAppMock(behaviour: MockBehaviour = {}): MockConnector {
  return new MockConnector(whatsappProfile, behaviour);
}
