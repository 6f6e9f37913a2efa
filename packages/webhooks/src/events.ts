import { z } from 'zod';
import { FILE_COMPLETED, STATUSES, type Status } from '@hub/domain';

/**
 * Event types a webhook can subscribe to. One per message status (the
 * status a recipient × channel reached: `message.sent`, `message.delivered`,
 * …) and one per file event. Derived from the domain's status list so a new
 * status becomes subscribable without touching this file.
 */
export const MESSAGE_EVENT_TYPES = STATUSES.map((s) => `message.${s}` as const);
export const FILE_EVENT_TYPES = [FILE_COMPLETED] as const;
export const WEBHOOK_EVENT_TYPES = [...MESSAGE_EVENT_TYPES, ...FILE_EVENT_TYPES] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Subscribes to every event type, including ones added later. */
export const ALL_EVENTS = '*';
/** Sent only by POST /v1/webhooks/{id}/test, whatever the subscription. */
export const PING_EVENT = 'webhook.ping';

export type EventFilter = WebhookEventType | typeof ALL_EVENTS;

export const EventFilterSchema = z.enum([...WEBHOOK_EVENT_TYPES, ALL_EVENTS], {
  error: (issue) => `unknown event ${JSON.stringify(issue.input)}; known events: ${[...WEBHOOK_EVENT_TYPES, ALL_EVENTS].join(', ')}`,
});

export function eventTypeForStatus(status: Status): WebhookEventType {
  return `message.${status}`;
}

export function subscribes(filters: readonly string[], eventType: string): boolean {
  return filters.includes(ALL_EVENTS) || filters.includes(eventType);
}
