/**
 * The gateway's one OpenAPI document: the services' own documents (built by
 * scripts/sdk-generate.ts from their route registrations) merged, then given
 * what only the whole hub can say: how to get a token, Retry-After on every
 * 429 and 503, a problem example per status, and the operations a service
 * serves without documenting them itself (presence, the WebSocket upgrade).
 * The result is checked in (services/frontend/src/api-reference/) and served
 * by the frontend at /openapi.json; `npm run sdk:generate` rewrites it and a
 * test fails when it is stale.
 */
import { z } from 'zod';
import { SCOPES, UsernameSchema } from '@hub/domain';
import { PROBLEMS } from '@hub/platform';

type ProblemCode = keyof typeof PROBLEMS;

type Json = Record<string, unknown>;
export type OpenApiDoc = {
  openapi: string;
  info: Json;
  servers?: object[];
  tags?: Json[];
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
};

const problemRef = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemRef } } });

/**
 * Presence's REST operation and the WebSocket upgrade, described here
 * because the presence service registers its routes without an OpenAPI
 * entry. When presence serves its own document, that one is used instead
 * (scripts/sdk-generate.ts) and this stays as the fallback.
 */
export function presenceFallbackDocument(): OpenApiDoc {
  const username = z.toJSONSchema(UsernameSchema, { unrepresentable: 'any' }) as Json;
  delete username.$schema;
  return {
    openapi: '3.1.0',
    info: { title: 'Messaging hub presence API', version: '1' },
    paths: {
      '/v1/presence/{username}': {
        get: {
          tags: ['presence'],
          summary: 'Whether a user is online',
          description:
            'An end user may ask about themselves and about members of a conversation they share that the other user accepted (created, replied in or accepted); anyone else gets 403, the same answer for an unknown name. An API client needs the `messages:read` scope. Live changes arrive on the WebSocket as `presence` frames (see /docs/websocket).',
          security: [{ bearer: [] }],
          parameters: [{ name: 'username', in: 'path', required: true, schema: username, example: 'alice' }],
          responses: {
            200: {
              description: 'The user and their status',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Presence' },
                  example: { user: 'alice', status: 'online' },
                },
              },
            },
            400: problem('Invalid request (the `errors` array names each bad field)'),
            401: problem('Missing, invalid, expired or revoked access token'),
            403: problem('Authenticated but not allowed'),
            429: problem('Rate limit exceeded (see Retry-After and RateLimit-* headers)'),
            503: problem('A dependency is unavailable; retry after Retry-After seconds'),
          },
        },
      },
      '/v1/ws': {
        get: {
          tags: ['websocket'],
          summary: 'Open the WebSocket (live messages, statuses, typing, presence)',
          description:
            'An HTTP/1.1 upgrade (`Connection: Upgrade`, `Upgrade: websocket`) with an end user\'s access token, in the Authorization header or, for browsers, as `access_token` in the query string. The frames, heartbeats, resume and close codes are described in the AsyncAPI document at /asyncapi.json (rendered at /docs/websocket). "Try it" cannot open a WebSocket.',
          security: [{ bearer: [] }],
          parameters: [
            {
              name: 'access_token',
              in: 'query',
              required: false,
              description: 'The access token, for clients that cannot set headers (prefer the header: query strings end up in proxy logs).',
              schema: { type: 'string' },
            },
          ],
          responses: {
            101: { description: 'Switching protocols: the socket is open; the first frame is `hello`' },
            401: problem('Missing, malformed, forged, expired or revoked token (no socket)'),
            403: problem("An API client's token: business systems use REST and webhooks (no socket)"),
            503: problem('The node is shutting down or cannot take the connection; retry after Retry-After seconds'),
          },
        },
      },
    },
    components: {
      schemas: {
        Presence: {
          type: 'object',
          properties: { user: username, status: { type: 'string', enum: ['online', 'offline'] } },
          required: ['user', 'status'],
          additionalProperties: false,
        },
      },
    },
  };
}

const DESCRIPTION = `REST API of the messaging hub. Every service (frontend, files, presence) is reached through this one base URL.

**Authentication.** Get an access token from \`POST /v1/auth/token\`: end users with \`grant_type=password\` (a 1 h access token and a single-use refresh token; renew with \`POST /v1/auth/refresh\`), API clients with \`grant_type=client_credentials\` (the client's scopes). Send it as \`Authorization: Bearer <token>\`. In "try it", use *Authorize*: the OAuth2 password and client-credentials flows call the same endpoint.

**Errors** are \`application/problem+json\` (RFC 9457): \`type\`, \`title\`, \`status\`, \`detail\`, and for 400/422 an \`errors\` array naming each bad field. 429 and 503 carry \`Retry-After\` (seconds): wait that long, then send the same request again (sends are idempotent under their \`Idempotency-Key\` or \`message_id\`).

**Live traffic** (messages, statuses, typing, presence) is on the WebSocket \`/v1/ws\`: its protocol is the AsyncAPI document at [/asyncapi.json](/asyncapi.json), rendered at [/docs/websocket](/docs/websocket). Webhooks are described in docs/webhooks.md.`;

const TAGS: Record<string, string> = {
  auth: 'Accounts and tokens',
  clients: 'API clients (admin)',
  channels: "A user's channel mappings",
  conversations: 'Conversations and history',
  messages: 'Sending messages and their status',
  files: 'File upload (single or multipart) and download',
  presence: 'Who is online',
  webhooks: 'Webhook registrations and deliveries',
  dlq: 'Dead-lettered deliveries (admin)',
  telegram: 'The Telegram bridge',
  websocket: 'The live WebSocket (protocol: /asyncapi.json)',
};

/** The problem code whose example each status shows (titles and type URIs come from the hub's own table). */
const EXAMPLE_CODES: Record<string, [ProblemCode, string]> = {
  400: ['validation_failed', 'body: payload: Invalid input: expected object, received undefined'],
  401: ['invalid_token', 'the access token has expired'],
  403: ['insufficient_scope', 'this operation needs the "messages:send" scope'],
  404: ['not_found', 'no such resource'],
  409: ['conflict', 'the id is already used by another caller'],
  413: ['payload_too_large', 'body is larger than 65536 bytes'],
  415: ['unsupported_media_type', 'Content-Type must be application/json'],
  422: ['unprocessable', 'the request is well-formed but cannot be processed as sent'],
  429: ['rate_limited', 'rate limit exceeded; retry after 1 s'],
  503: ['unavailable', 'a dependency did not answer; retry shortly'],
};

/** One example problem per status, so a reader sees what each error looks like. */
const PROBLEM_EXAMPLES: Record<string, Json> = Object.fromEntries(
  Object.entries(EXAMPLE_CODES).map(([status, [code, detail]]) => [
    status,
    {
      type: `https://hub.example/problems/${code.replace(/_/g, '-')}`,
      title: PROBLEMS[code].title,
      status: PROBLEMS[code].status,
      detail,
      ...(code === 'validation_failed'
        ? { errors: [{ field: 'payload', message: 'Invalid input: expected object, received undefined' }] }
        : {}),
    },
  ]),
);

/** Adds what the whole hub documents to a merged document (in place) and returns it. */
export function completeHubDocument(doc: OpenApiDoc): OpenApiDoc {
  doc.info = { ...doc.info, description: DESCRIPTION };
  const components = (doc.components ??= {});
  const schemes = (components.securitySchemes ??= {});
  schemes.bearer = {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token from `POST /v1/auth/token` (users: grant_type=password; API clients: grant_type=client_credentials), renewed with `POST /v1/auth/refresh`.',
  };
  const scopes = Object.fromEntries(SCOPES.map((s) => [s, `the ${s} scope`]));
  schemes.oauth2 = {
    type: 'oauth2',
    description: 'The same tokens, obtained through the token endpoint (for "try it").',
    flows: { password: { tokenUrl: '/v1/auth/token', scopes }, clientCredentials: { tokenUrl: '/v1/auth/token', scopes } },
  };
  (components.headers ??= {}).RetryAfter = {
    description: 'Seconds to wait before sending the request again',
    schema: { type: 'integer', minimum: 0 },
    example: 1,
  };
  const examples = (components.examples ??= {});
  for (const [status, value] of Object.entries(PROBLEM_EXAMPLES)) examples[`Problem${status}`] = { summary: String(value.title), value };

  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops) as Json[]) {
      const security = op.security as Array<Record<string, string[]>> | undefined;
      // Either scheme carries the same bearer token; listing both lets "try it" log in through the token endpoint.
      if (security?.some((s) => 'bearer' in s) && !security.some((s) => 'oauth2' in s)) op.security = [...security, { oauth2: [] }];
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        if (status === '429' || status === '503')
          response.headers = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' }, ...(response.headers as Json | undefined) };
        const media = (response.content as Record<string, Json> | undefined)?.['application/problem+json'];
        if (media && !media.example && !media.examples && PROBLEM_EXAMPLES[status])
          media.examples = { problem: { $ref: `#/components/examples/Problem${status}` } };
      }
    }
  }
  const used = new Set(
    Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => ((op as Json).tags as string[] | undefined) ?? [])),
  );
  doc.tags = [...used].sort().map((name) => ({ name, ...(TAGS[name] ? { description: TAGS[name] } : {}) }));
  return doc;
}
