import { z } from 'zod';
import { UuidSchema } from '@hub/domain';
import '@hub/platform'; // registers .openapi() on zod schemas
import { ALL_EVENTS, EventFilterSchema, MAX_URL_LENGTH, PING_EVENT, WEBHOOK_EVENT_TYPES } from '@hub/webhooks';

// Request and response shapes of /v1/webhooks, for validation at the edge and the OpenAPI document.

export const MAX_EVENT_FILTERS = 20;
export const MAX_DESCRIPTION = 200;
/** The longest grace period a rotation may ask for: 7 days. */
export const MAX_GRACE_S = 7 * 86_400;

const EVENTS_DOC = `Event types to receive: ${WEBHOOK_EVENT_TYPES.map((e) => `\`${e}\``).join(', ')}, or \`${ALL_EVENTS}\` for every event type (including ones added later). \`message.*\` events fire when a recipient × channel of a message the calling client submitted reaches that status (\`message.accepted\` only if the pipeline publishes it); \`file.completed\` when a file the client uploaded was verified. \`${PING_EVENT}\` is sent only by POST /v1/webhooks/{id}/test.`;

const UrlSchema = z.string().min(1, 'must not be empty').max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`).openapi({
  description:
    'Where events are POSTed. https only in production (http is accepted in development). The host must resolve to public addresses only: private, loopback, link-local, CGNAT, multicast, reserved and cloud-metadata addresses are refused here and again before every call. No user name or password, no fragment. Redirects are not followed.',
  example: 'https://crm.example.com/hooks/messaging',
});

const EventsSchema = z
  .array(EventFilterSchema)
  .min(1, 'must name at least one event')
  .max(MAX_EVENT_FILTERS, `must name at most ${MAX_EVENT_FILTERS} events`)
  .refine((e) => new Set(e).size === e.length, 'events must not repeat')
  .openapi({ description: EVENTS_DOC, example: ['message.sent', 'message.delivered', 'message.read', 'message.failed'] });

const DescriptionSchema = z.string().trim().max(MAX_DESCRIPTION, `must be at most ${MAX_DESCRIPTION} characters`);

export const CreateWebhookRequestSchema = z
  .strictObject({ url: UrlSchema, events: EventsSchema, description: DescriptionSchema.optional() })
  .openapi('CreateWebhookRequest');

export const UpdateWebhookRequestSchema = z
  .strictObject({
    url: UrlSchema.optional(),
    events: EventsSchema.optional(),
    description: DescriptionSchema.nullable().optional().openapi({ description: 'null removes the description.' }),
    active: z.boolean().optional().openapi({
      description:
        'false pauses deliveries (pending ones fail with a reason); true resumes them and re-enables an endpoint the dispatcher disabled.',
    }),
  })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of url, events, description, active')
  .openapi('UpdateWebhookRequest');
export type UpdateWebhookRequest = z.infer<typeof UpdateWebhookRequestSchema>;

export const RotateSecretRequestSchema = z
  .strictObject({
    grace_period_s: z.number().int().min(0).max(MAX_GRACE_S, `must be at most ${MAX_GRACE_S} (7 days)`).optional().openapi({
      description:
        'How long the old secret keeps signing (as a second signature), seconds. Default: the server setting (24 h unless configured). 0 retires it at once.',
    }),
  })
  .openapi('RotateSecretRequest');

export const WebhookParamsSchema = z.strictObject({ id: UuidSchema });
export const WebhookDeliveryParamsSchema = z.strictObject({ id: UuidSchema, delivery_id: UuidSchema });

export const WebhookDeliveryListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: '1–100, default 20.' }),
  cursor: UuidSchema.optional().openapi({ description: 'next_cursor of the previous page.' }),
  state: z.enum(['pending', 'succeeded', 'failed']).optional(),
});

export const WebhookSchema = z
  .object({
    webhook_id: z.string(),
    owner: z.string().openapi({ description: 'The API client that registered it and whose messages and files it reports on.' }),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().optional(),
    active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
    secret_rotated_at: z.string().optional(),
    previous_secret_expires_at: z
      .string()
      .optional()
      .openapi({ description: 'Until then calls carry a second signature made with the previous secret.' }),
    failing_since: z.string().optional().openapi({ description: 'Every attempt since then failed.' }),
    disabled_at: z.string().optional().openapi({
      description:
        'Set when the hub disabled the endpoint after it failed continuously (WEBHOOK_DISABLE_AFTER_MS, 5 days by default); PATCH active=true re-enables it.',
    }),
    disabled_reason: z.string().optional(),
  })
  .openapi('Webhook');

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description:
      'Signing secret (Standard Webhooks, `whsec_` + base64 key), shown only in this response. Verify each call: HMAC-SHA256 keyed with the base64-decoded key over `{webhook-id}.{webhook-timestamp}.{body}`, compared with any `v1,<base64>` entry of the space-separated `webhook-signature` header.',
  }),
}).openapi('WebhookWithSecret');

const AttemptSchema = z.object({
  attempt: z.number().int(),
  at: z.string(),
  status_code: z.number().int().optional(),
  latency_ms: z.number(),
  error: z.string().optional(),
  response_body: z.string().optional().openapi({ description: 'The start of the receiver’s answer (4 KiB by default).' }),
  manual: z.boolean().optional(),
});

export const WebhookDeliverySchema = z
  .object({
    delivery_id: z.string(),
    webhook_id: z.string(),
    event_id: z.string().openapi({ description: 'The `webhook-id` header: the same on every attempt of this event; deduplicate on it.' }),
    event_type: z.string(),
    state: z.enum(['pending', 'succeeded', 'failed']),
    attempt_count: z.number().int(),
    max_attempts: z.number().int(),
    next_attempt_at: z.string().optional(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().optional(),
    last_status_code: z.number().int().optional(),
    last_error: z.string().optional(),
    payload: z.unknown().openapi({ description: 'The JSON body sent: {type, timestamp, data}.' }),
    attempts: z.array(AttemptSchema),
  })
  .openapi('WebhookDelivery');

export const WebhookDeliveryListSchema = z
  .object({ deliveries: z.array(WebhookDeliverySchema), next_cursor: z.string().optional() })
  .openapi('WebhookDeliveryList');
