import { z } from 'zod';
import { PayloadSchema, UsernameSchema, UuidSchema } from '@hub/domain';
import type { FrameErrorCode } from '@hub/push';

// Server frames are built by live push too (router and presence alike), so they live in @hub/push.
export { errorFrame, type FrameErrorCode, type MessageFrameData, type ServerFrame, type StatusFrameData } from '@hub/push';

/**
 * The WebSocket frame contract (docs/ARCHITECTURE.md): JSON text frames
 * `{op, d}`. Client frames are validated here, at the edge, as strict
 * objects: an unknown field is an error, not silently ignored.
 */
export const ClientFrameShape = z.strictObject({ op: z.string().min(1).max(32), d: z.unknown().optional() });

const ClientMsgIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, "_", ".", ":" and "-" only, 1 to 64 characters');
const SequenceSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ClientFrames = {
  ping: z.strictObject({}).optional(),
  ack: z.strictObject({ message_id: UuidSchema }),
  read: z.strictObject({ conversation_id: UuidSchema, up_to_seq: SequenceSchema.min(1) }),
  send: z.strictObject({ client_msg_id: ClientMsgIdSchema, conversation_id: UuidSchema, payload: PayloadSchema }),
  typing: z.strictObject({ conversation_id: UuidSchema, user: UsernameSchema.optional() }),
  /** Per conversation, the last sequence number this device has; the node re-sends everything after it. */
  resume: z.strictObject({
    conversations: z.record(UuidSchema, SequenceSchema).refine((r) => Object.keys(r).length <= 1_000, 'at most 1000 conversations'),
  }),
} as const;

export type ClientOp = keyof typeof ClientFrames;
export type ClientFrame = { [K in ClientOp]: { op: K; d: z.infer<(typeof ClientFrames)[K]> } }[ClientOp];

export type FrameParse = { ok: true; frame: ClientFrame } | { ok: false; code: FrameErrorCode; message: string; op?: string };

/** Decodes one text frame; never throws. */
export function parseClientFrame(text: string): FrameParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'frame is not valid JSON' };
  }
  const shape = ClientFrameShape.safeParse(json);
  if (!shape.success)
    return { ok: false, code: 'invalid_frame', message: `frame must be {"op": string, "d": object}: ${issueText(shape.error)}` };
  const { op, d } = shape.data;
  if (!Object.hasOwn(ClientFrames, op))
    return { ok: false, code: 'unknown_op', message: `unknown op "${op}"; known: ${Object.keys(ClientFrames).join(', ')}`, op };
  const schema = ClientFrames[op as ClientOp];
  const parsed = schema.safeParse(d);
  if (!parsed.success) return { ok: false, code: 'validation_failed', message: `${op}: ${issueText(parsed.error)}`, op };
  return { ok: true, frame: { op, d: parsed.data } as ClientFrame };
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys')
    return `${path ? `${path}: ` : ''}unknown field(s): ${(issue as { keys?: string[] }).keys?.join(', ')}`;
  return `${path || 'd'}: ${issue.message}`;
}
