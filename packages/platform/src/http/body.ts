import type { Context } from 'hono';
import type { z } from 'zod';
import { ProblemError, validationProblem } from './problem';

export interface JsonBodyOptions {
  /** Largest accepted body in bytes; larger bodies get 413 before being parsed. */
  limitBytes: number;
}

/**
 * Reads a JSON body and validates it against a schema at the edge:
 * 415 for another content type, 413 past the limit (checked while reading,
 * so a lying Content-Length cannot get past it), 400 for malformed JSON or
 * a body that fails the schema, naming the field.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, opts: JsonBodyOptions): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new ProblemError('unsupported_media_type', `Content-Type must be application/json, got ${type ? JSON.stringify(type) : 'none'}`);
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > opts.limitBytes) throw tooLarge(opts.limitBytes);
  const text = await readLimited(c.req.raw, opts.limitBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProblemError('invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

/** Validates query parameters (strings) against a schema; 400 naming the parameter. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw validationProblem(parsed.error, 'query');
  return parsed.data;
}

/**
 * Like readJson, but also accepts `application/x-www-form-urlencoded`, as
 * OAuth 2.0 clients send to token endpoints. Form fields arrive as strings;
 * a field given twice is rejected rather than silently picking one.
 */
export async function readJsonOrForm<S extends z.ZodType>(c: Context, schema: S, opts: JsonBodyOptions): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    if (/^application\/([\w.+-]+\+)?json\b/i.test(type)) return readJson(c, schema, opts);
    throw new ProblemError('unsupported_media_type', `Content-Type must be application/json or application/x-www-form-urlencoded, got ${type ? JSON.stringify(type) : 'none'}`);
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > opts.limitBytes) throw tooLarge(opts.limitBytes);
  const fields = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(await readLimited(c.req.raw, opts.limitBytes))) {
    if (fields.has(key)) throw new ProblemError('validation_failed', `body: ${key}: given more than once`, { errors: [{ field: key, message: 'given more than once' }] });
    fields.set(key, value);
  }
  const parsed = schema.safeParse(Object.fromEntries(fields));
  if (!parsed.success) throw validationProblem(parsed.error);
  return parsed.data;
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError('payload_too_large', `body exceeds the limit of ${limit} bytes`, { extra: { limit_bytes: limit } });
}

async function readLimited(req: Request, limit: number): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
