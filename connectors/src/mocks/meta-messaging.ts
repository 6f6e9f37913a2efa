import { z } from 'zod';
import type { ConnectorCapabilities, InboundEvent } from '../connector';
import { inboundParseError } from './inbound-issues';
import type { MockChannelProfile } from './mock.connector';

// Messenger and Instagram share Meta's Messenger Platform webhook shape; only `object` differs.
const Messaging = z.object({
  sender: z.object({ id: z.string().min(1) }),
  recipient: z.object({ id: z.string() }),
  timestamp: z.number(),
  message: z.object({ mid: z.string().min(1), text: z.string().optional(), is_echo: z.boolean().optional() }).optional(),
});

export function metaMessagingProfile(channel: 'messenger' | 'instagram', capabilities: ConnectorCapabilities): MockChannelProfile {
  const object = channel === 'messenger' ? 'page' : 'instagram';
  const Webhook = z.object({
    object: z.literal(object),
    entry: z.array(z.object({ id: z.string(), time: z.number(), messaging: z.array(Messaging).optional() })),
  });
  return {
    channel,
    capabilities,
    // Page- or Instagram-scoped user ids are numeric strings.
    isValidRecipient: (id) => /^\d{5,20}$/.test(id),
    parseInbound(body) {
      const parsed = Webhook.safeParse(body);
      if (!parsed.success) throw inboundParseError(channel === 'messenger' ? 'Messenger' : 'Instagram', parsed.error);
      const events: InboundEvent[] = [];
      for (const entry of parsed.data.entry) {
        for (const m of entry.messaging ?? []) {
          const from = { externalId: m.sender.id };
          if (!m.message)
            events.push({
              kind: 'ignored',
              eventId: `${entry.id}:${m.timestamp}:${m.sender.id}`,
              from,
              reason: 'only messages are handled',
            });
          else if (m.message.is_echo) events.push({ kind: 'ignored', eventId: m.message.mid, from, reason: 'echo of our own message' });
          else if (m.message.text !== undefined)
            events.push({ kind: 'text', eventId: m.message.mid, from, externalMessageId: m.message.mid, text: m.message.text });
          else events.push({ kind: 'ignored', eventId: m.message.mid, from, reason: 'only text messages are handled' });
        }
      }
      return events;
    },
    inboundText: (from, text, eventId) => ({
      object,
      entry: [
        {
          id: `mock-${channel}-page`,
          time: Date.now(),
          messaging: [
            { sender: { id: from }, recipient: { id: `mock-${channel}-page` }, timestamp: Date.now(), message: { mid: eventId, text } },
          ],
        },
      ],
    }),
  };
}
