/**
 * The WebSocket protocol (`/v1/ws`, docs/websocket.md) as an AsyncAPI 3
 * document, described from the hub's side: it receives the client frames
 * (their schemas come from the presence gateway's zod validators) and sends
 * the server frames (typed in @hub/push; described here, with a compile-time
 * check that every op is listed). Checked in beside the OpenAPI document
 * and served at /asyncapi.json.
 */
import { z } from 'zod';
import { CHANNELS, PayloadSchema, STATUSES } from '@hub/domain';
import type { FrameErrorCode, ServerFrame } from '@hub/push';
import { ClientFrames, type ClientOp } from '../services/presence/src/ws/frames';
import { CloseCodes } from '../services/presence/src/ws/close-codes';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const out = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any', io: 'input' }) as Json;
  delete out.$schema;
  return out;
}

const uuid = { type: 'string', format: 'uuid' };
const str = { type: 'string' };

export const CLIENT_OP_SUMMARIES: Record<ClientOp, string> = {
  ping: 'A sign of life; answered with `pong`. Send one at least every `heartbeat_interval` ms.',
  ack: 'The message becomes `delivered` for you; your delivered sequence in the conversation advances to it.',
  read: 'Every message up to `up_to_seq` addressed to you becomes `read` (and `delivered`).',
  send: 'Send a message (idempotent per `client_msg_id`); answered with `accepted`, or `error` with the `client_msg_id`.',
  typing: "Tell the conversation's other members you are typing (`user`, if given, must be you).",
  resume: 'Per conversation, the last sequence you have: everything after it is sent again, oldest first.',
};

/** Every server frame: `satisfies` fails the type-check when @hub/push adds an op not described here. */
export const SERVER_FRAMES = {
  hello: {
    summary: 'First frame once the connection is registered: you are online; the catch-up follows.',
    d: {
      type: 'object',
      properties: { heartbeat_interval: { type: 'integer' }, node: str, user: str },
      required: ['heartbeat_interval', 'node', 'user'],
    },
  },
  pong: { summary: 'The answer to `ping`.', d: { type: 'object', additionalProperties: false } },
  message: {
    summary: 'A message for you (or sent by you from another device), in sequence order per conversation; deduplicate by `message_id`.',
    d: {
      type: 'object',
      properties: {
        message_id: uuid,
        conversation_id: uuid,
        sequence_number: { type: 'integer', minimum: 1 },
        from: str,
        payload: jsonSchema(PayloadSchema),
        file: {
          type: 'object',
          description:
            'File messages: `{file_id, filename, size, content_type, sha256}`; fetch a download URL with GET /v1/files/{file_id}.',
        },
        created_at: { type: 'string', format: 'date-time' },
      },
      required: ['message_id', 'conversation_id', 'sequence_number', 'from', 'payload', 'created_at'],
    },
  },
  accepted: {
    summary: 'Your `send` was accepted (Kafka acknowledged it).',
    d: { type: 'object', properties: { client_msg_id: str, message_id: uuid }, required: ['client_msg_id', 'message_id'] },
  },
  status: {
    summary: 'A status of a message you sent, per recipient and channel (forward-only).',
    d: {
      type: 'object',
      properties: {
        message_id: uuid,
        conversation_id: uuid,
        recipient: str,
        channel: { type: 'string', enum: [...CHANNELS] },
        status: { type: 'string', enum: [...STATUSES] },
      },
      required: ['message_id', 'recipient', 'channel', 'status'],
    },
  },
  typing: {
    summary: 'Someone in a conversation is typing.',
    d: {
      type: 'object',
      properties: { conversation_id: uuid, user: str, expires_in_ms: { type: 'integer' } },
      required: ['conversation_id', 'user', 'expires_in_ms'],
    },
  },
  presence: {
    summary: 'Someone who shares an accepted conversation with you came online or went offline.',
    d: { type: 'object', properties: { user: str, status: { type: 'string', enum: ['online', 'offline'] } }, required: ['user', 'status'] },
  },
  error: {
    summary: 'A frame was refused; the socket stays open.',
    d: {
      type: 'object',
      properties: { code: { type: 'string', enum: [] as string[] }, message: str, op: str, client_msg_id: str },
      required: ['code', 'message'],
    },
  },
} satisfies Record<ServerFrame['op'], { summary: string; d: Json }>;

/** Error frame codes; `satisfies` keeps the list equal to @hub/push's type. */
export const FRAME_ERROR_CODES = {
  invalid_json: 'the frame is not valid JSON',
  invalid_frame: 'the frame is not `{op, d}`',
  unknown_op: 'no such op',
  validation_failed: '`d` is invalid (the message names the field)',
  rate_limited: 'too many frames: they are dropped until the bucket refills',
  not_member: 'you are not a member of the conversation',
  not_accepted: 'you have not accepted the conversation',
  not_found: 'no such conversation or message',
  sequence_out_of_range: "beyond the conversation's last sequence",
  forbidden: 'not allowed',
  message_id_taken: 'someone else already used this client_msg_id (REST: 409)',
  message_id_reused: 'you used this client_msg_id for a different message (REST: 422)',
  unavailable: 'a dependency did not answer; send again shortly',
  internal: 'an unexpected error',
} satisfies Record<FrameErrorCode, string>;
SERVER_FRAMES.error.d.properties.code.enum = Object.keys(FRAME_ERROR_CODES);

/** Close codes: the gateway's own (CloseCodes) and 1011, set when registering the connection fails. */
export const CLOSE_CODES: Array<{ code: number; name: string; meaning: string }> = [
  { code: CloseCodes.goingAway, name: 'goingAway', meaning: 'the node is shutting down: reconnect (any node) and resume' },
  { code: CloseCodes.tooBig, name: 'tooBig', meaning: 'a frame larger than WS_MAX_FRAME_BYTES: do not send it again' },
  { code: 1011, name: 'registrationFailed', meaning: 'the node could not register the connection (Redis down): reconnect after a moment' },
  {
    code: CloseCodes.sessionRevoked,
    name: 'sessionRevoked',
    meaning: 'session revoked (logout, token family revoked): log in again; do not reconnect with the same token',
  },
  { code: CloseCodes.heartbeatTimeout, name: 'heartbeatTimeout', meaning: 'missed heartbeats: reconnect and resume' },
  { code: CloseCodes.slowConsumer, name: 'slowConsumer', meaning: 'slow consumer (send buffer overflowed): reconnect and resume' },
  { code: CloseCodes.rateLimited, name: 'rateLimited', meaning: 'kept sending past the frame rate limit: back off, reconnect and resume' },
  { code: CloseCodes.tokenExpired, name: 'tokenExpired', meaning: 'access token expired: refresh it, reconnect and resume' },
];

const frame = (op: string, d: Json, optionalD: boolean): Json => ({
  type: 'object',
  properties: { op: { const: op }, d },
  required: optionalD ? ['op'] : ['op', 'd'],
  additionalProperties: false,
});

export function buildHubAsyncApi(): Json {
  const messages: Record<string, Json> = {};
  const operations: Record<string, Json> = {};
  const channelMessages: Record<string, Json> = {};
  for (const op of Object.keys(ClientFrames) as ClientOp[]) {
    const name = `client.${op}`;
    messages[name] = {
      name: op,
      title: `${op} (client → hub)`,
      summary: CLIENT_OP_SUMMARIES[op],
      payload: frame(op, jsonSchema(ClientFrames[op]), op === 'ping'),
    };
    channelMessages[name] = { $ref: `#/components/messages/${name}` };
    operations[`receive_${op}`] = {
      action: 'receive',
      channel: { $ref: '#/channels/ws' },
      summary: CLIENT_OP_SUMMARIES[op],
      messages: [{ $ref: `#/channels/ws/messages/${name}` }],
    };
  }
  for (const [op, f] of Object.entries(SERVER_FRAMES)) {
    const name = `server.${op}`;
    messages[name] = { name: op, title: `${op} (hub → client)`, summary: f.summary, payload: frame(op, f.d, false) };
    channelMessages[name] = { $ref: `#/components/messages/${name}` };
    operations[`send_${op}`] = {
      action: 'send',
      channel: { $ref: '#/channels/ws' },
      summary: f.summary,
      messages: [{ $ref: `#/channels/ws/messages/${name}` }],
    };
  }
  const closeTable = ['| code | meaning |', '|---|---|', ...CLOSE_CODES.map((c) => `| ${c.code} | ${c.meaning} |`)].join('\n');
  const errorTable = ['| code | meaning |', '|---|---|', ...Object.entries(FRAME_ERROR_CODES).map(([c, m]) => `| \`${c}\` | ${m} |`)].join(
    '\n',
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Messaging hub WebSocket',
      version: '1',
      description:
        'Live messages, statuses, typing and presence for end users. JSON text frames `{"op": "...", "d": {...}}`; unknown fields, unknown ops and invalid values are answered with an `error` frame and the socket stays open. The prose reference is docs/websocket.md.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:8080',
        protocol: 'ws',
        description: 'The hub started by `npm start` (any gateway base URL works: ws:// or wss://).',
        security: [{ $ref: '#/components/securitySchemes/bearer' }, { $ref: '#/components/securitySchemes/queryToken' }],
      },
    },
    channels: {
      ws: {
        address: '/v1/ws',
        title: 'The live socket',
        description: `Connect with an end user's access token (POST /v1/auth/token). The server's first frame is \`hello\`; send \`ping\` at least every \`heartbeat_interval\` ms. After a reconnect, send \`resume\` with the last sequence per conversation.\n\n**Close codes**\n\n${closeTable}\n\n**Error frame codes**\n\n${errorTable}`,
        messages: channelMessages,
        'x-close-codes': CLOSE_CODES,
      },
    },
    operations,
    components: {
      messages,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Authorization: Bearer <access token> on the upgrade request.',
        },
        queryToken: {
          type: 'httpApiKey',
          name: 'access_token',
          in: 'query',
          description: 'For browsers, whose WebSocket API cannot set headers (query strings end up in proxy logs: prefer the header).',
        },
      },
    },
  };
}
