import { z } from 'zod';
import {
  CHANNELS,
  MAX_CAPTION_LENGTH,
  MAX_CONVERSATION_MEMBERS,
  MAX_RECIPIENTS,
  MAX_TEXT_LENGTH,
  SendMessageRequestSchema,
  STATUSES,
  UsernameSchema,
  UuidSchema,
} from '@hub/domain';
import '@hub/platform'; // registers .openapi() on zod schemas

// Request and response shapes of conversations, messages, status and history, for validation at the edge and the OpenAPI document.

export const MAX_CONVERSATION_NAME = 100;
export const MAX_PAGE = 100;
export const MAX_HISTORY_PAGE = 200;

export const CreateConversationRequestSchema = z
  .strictObject({
    type: z
      .enum(['direct', 'group'])
      .openapi({ description: '`direct`: exactly two members; creating it again returns the existing one. `group`: 2 or more members.' }),
    members: z
      .array(UsernameSchema)
      .min(2, 'must have at least 2 members')
      .max(MAX_CONVERSATION_MEMBERS, `must have at most ${MAX_CONVERSATION_MEMBERS} members`)
      .refine((m) => new Set(m).size === m.length, 'members must not repeat')
      .openapi({
        description: `Usernames of registered users (2 to ${MAX_CONVERSATION_MEMBERS}). A user creating a conversation must be one of them.`,
        example: ['alice', 'bob'],
      }),
    name: z.string().trim().min(1).max(MAX_CONVERSATION_NAME).optional().openapi({ description: 'A display name for a group.' }),
  })
  .superRefine((body, ctx) => {
    if (body.type === 'direct' && body.members.length !== 2)
      ctx.addIssue({ code: 'custom', path: ['members'], message: 'a direct conversation has exactly 2 members' });
    if (body.type === 'direct' && body.name !== undefined)
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'only a group has a name' });
  })
  .openapi('CreateConversationRequest');

export const ConversationSchema = z
  .object({
    conversation_id: z.string().uuid(),
    type: z.enum(['direct', 'group']),
    members: z.array(z.string()),
    name: z.string().optional(),
    created_at: z.string(),
    created_by: z.string().openapi({ description: '`user:<username>` or `client:<client_id>`' }),
  })
  .openapi('Conversation');

export const ConversationAcceptedSchema = z
  .object({ conversation_id: z.string().uuid(), username: z.string(), accepted: z.literal(true) })
  .openapi('ConversationAccepted');

export const ConversationListQuerySchema = z.strictObject({
  username: UsernameSchema.optional().openapi({
    description: 'Whose conversations: a user may only list their own (the default); an API client with `messages:read` names any user.',
  }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: UuidSchema.optional().openapi({ description: '`next_cursor` of the previous page.' }),
});

export const ConversationListSchema = z
  .object({ conversations: z.array(ConversationSchema), next_cursor: z.string().optional() })
  .openapi('ConversationList');

export const ConversationIdParamsSchema = z.strictObject({ conversation_id: UuidSchema });
export const MessageIdParamsSchema = z.strictObject({ message_id: UuidSchema });

// Rebuilt here: the domain schema was created before .openapi() was registered on zod.
export const SendMessageSchema = z.strictObject(SendMessageRequestSchema.shape).openapi('SendMessageRequest', {
  description: `\`message_id\` (a UUID) makes the send idempotent; without it the \`Idempotency-Key\` header does (a UUID is used as the id, any other key is hashed per caller), else the server assigns a UUIDv7. \`to\` defaults to every other member; each must be a member (at most ${MAX_RECIPIENTS}). \`channels\`: ${CHANNELS.join(', ')} (default internal). Text at most ${MAX_TEXT_LENGTH} characters; file captions at most ${MAX_CAPTION_LENGTH}; the whole body at most the server's MAX_BODY_BYTES (64 KiB by default).`,
});

export const AcceptedSchema = z.object({ message_id: z.string().uuid(), status: z.literal('accepted') }).openapi('MessageAccepted');

const StatusEnum = z.enum(STATUSES);
export const MessageStatusSchema = z
  .object({
    message_id: z.string(),
    conversation_id: z.string(),
    sequence_number: z.number().int().optional(),
    status: StatusEnum.openapi({
      description: 'Roll-up: the least advanced state among the recipients that have not failed; `failed` only when all failed.',
    }),
    recipients: z.array(
      z.object({
        recipient: z.string(),
        channel: z.enum(CHANNELS),
        status: StatusEnum,
        updated_at: z.string(),
        detail: z.string().optional(),
        external_id: z.string().optional(),
      }),
    ),
    status_history: z.array(
      z.object({ recipient: z.string(), channel: z.enum(CHANNELS), status: StatusEnum, at: z.string(), detail: z.string().optional() }),
    ),
  })
  .openapi('MessageStatus');

export const HistoryQuerySchema = z.strictObject({
  since: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .openapi({ description: 'Return messages with sequence_number greater than this (0: from the start).' }),
  limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(50),
});

export const StoredMessageSchema = z
  .object({
    message_id: z.string(),
    conversation_id: z.string(),
    sequence_number: z.number().int(),
    from: z.string(),
    to: z.array(z.string()),
    channels: z.array(z.enum(CHANNELS)),
    payload: z.object({ type: z.enum(['text', 'file']) }).loose(),
    file: z
      .object({ file_id: z.string(), filename: z.string(), size: z.number(), content_type: z.string(), sha256: z.string() })
      .optional(),
    source: z.string(),
    accepted_at: z.string(),
    stored_at: z.string(),
    client_msg_id: z.string().optional(),
  })
  .openapi('Message');

export const HistorySchema = z
  .object({
    messages: z.array(StoredMessageSchema),
    next_cursor: z
      .number()
      .int()
      .optional()
      .openapi({ description: 'Pass as `since` for the next page; absent when there are no more messages now.' }),
  })
  .openapi('MessageHistory');

const TraceIdSchema = z.string().regex(/^[0-9a-f]{32}$/);
const SpanIdSchema = z.string().regex(/^[0-9a-f]{16}$/);

export const TimelineHopSchema = z
  .object({
    hop: z.enum(['accepted', 'stored', 'status', 'outbound', 'webhook']).openapi({
      description:
        '`accepted`: the hub acknowledged it; `stored`: the router numbered and stored it; `status`: a status change of one recipient × channel; `outbound`: an external delivery as the outbound ledger has it (attempts used); `webhook`: one webhook attempt (or a webhook delivery not tried yet).',
    }),
    at: z.string().openapi({ description: 'When the hop happened (ISO 8601).' }),
    duration_ms: z.number().nonnegative().optional().openapi({
      description:
        "Time since the previous hop on the same path (the message; the recipient × channel; for webhooks the attempt's own latency).",
    }),
    outcome: z.string().openapi({
      description:
        "What came of it: a status (`sent`, `retrying`, `delivered`, ...), a ledger state (`scheduled`, `delivered`, `failed`) or a webhook attempt's result (`delivered`, `failed`, `pending`).",
    }),
    channel: z.enum(CHANNELS).optional(),
    recipient: z.string().optional(),
    attempt: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .openapi({ description: 'External deliveries and webhooks: the attempt number (1 = the first try).' }),
    trace_id: TraceIdSchema.optional().openapi({ description: 'The trace the hop belongs to (absent when tracing was off).' }),
    span_id: SpanIdSchema.optional().openapi({
      description:
        'The span that recorded the hop: for a status the span that published it, for a webhook the intake span its attempts hang under.',
    }),
    detail: z.string().optional(),
    webhook_id: z.string().optional(),
    event_type: z.string().optional(),
    status_code: z.number().int().optional().openapi({ description: "Webhook attempts: the receiver's HTTP status." }),
  })
  .openapi('TimelineHop');

export const MessageTimelineSchema = z
  .object({
    message_id: z.string(),
    conversation_id: z.string(),
    trace_id: TraceIdSchema.optional().openapi({
      description: "The message's trace (from its accept); look it up in the tracing backend.",
    }),
    hops: z
      .array(TimelineHopSchema)
      .openapi({ description: 'In time order. Bounded: at most 500 status changes and 100 webhook deliveries are read.' }),
  })
  .openapi('MessageTimeline');
