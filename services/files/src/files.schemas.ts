import { z } from 'zod';
import { FILE_STATUSES, Sha256HexSchema, UuidSchema } from '@hub/domain';
import { ProblemSchema } from '@hub/platform';
import type { ContentTypePolicy } from './content-type-policy';
import { MAX_FILENAME_BYTES, sanitizeFilename } from './filename';
import { MAX_PARTS } from './upload-plan';

export interface SchemaLimits {
  maxSize: number;
  multipartThreshold: number;
  partSize: number;
  uploadUrlTtlS: number;
  downloadUrlTtlS: number;
}

/**
 * Request and response schemas of the files API. Built once at boot from
 * the configured limits, so validation and the OpenAPI document state the
 * same numbers.
 */
export function filesSchemas(limits: SchemaLimits, policy: ContentTypePolicy) {
  const filename = z
    .string()
    .max(4 * MAX_FILENAME_BYTES)
    .transform((raw, ctx) => {
      const r = sanitizeFilename(raw);
      if (r.ok) return r.filename;
      ctx.addIssue({ code: 'custom', message: r.reason });
      return z.NEVER;
    })
    .openapi({
      description: `The original file name (no directories), at most ${MAX_FILENAME_BYTES} bytes in UTF-8. Paths ("/", "\\", "..") and control characters are refused; characters Windows cannot store (<>:"|?*) become "_"; trailing dots and spaces are dropped. The response shows the stored name.`,
      example: 'report.pdf',
    });

  const contentType = z
    .string()
    .max(255)
    .transform((raw, ctx) => {
      const r = policy.check(raw);
      if (r.ok) return r.contentType;
      ctx.addIssue({ code: 'custom', message: r.reason });
      return z.NEVER;
    })
    .openapi({ description: `Media type of the file (${policy.describe()}). Downloads are served with it.`, example: 'application/pdf' });

  const InitiateRequest = z
    .strictObject({
      filename,
      size: z
        .number()
        .int('must be a whole number of bytes')
        .min(0, 'must not be negative')
        .max(limits.maxSize, `must be at most ${limits.maxSize} bytes`)
        .openapi({
          description: `Exact size in bytes (at most ${limits.maxSize}). Files larger than ${limits.multipartThreshold} bytes are uploaded in parts.`,
        }),
      content_type: contentType,
      // describe() rather than openapi(): domain schemas are built before @hub/platform extends zod with openapi().
      sha256: Sha256HexSchema.describe('SHA-256 of the file as 64 hexadecimal digits; checked on complete.'),
      conversation_id: UuidSchema.optional().openapi({
        description: 'The conversation the file is shared in: its members may download it, and file messages in it may carry it.',
      }),
    })
    .openapi('FileInitiateRequest');

  const FailureSchema = z.object({ reason: z.enum(['size_mismatch', 'checksum_mismatch']), detail: z.string() });

  const FileResource = z
    .object({
      file_id: z.string().uuid(),
      status: z.enum(FILE_STATUSES).openapi({
        description:
          '`uploading` until completed; `failed` when the upload did not match its declared size or SHA-256 (its object is removed).',
      }),
      filename: z.string(),
      size: z.number().int(),
      content_type: z.string(),
      sha256: z.string(),
      conversation_id: z.string().uuid().optional(),
      uploaded_by: z.string().openapi({ description: '`user:<username>` or `client:<client_id>`' }),
      created_at: z.string(),
      completed_at: z.string().optional(),
      failure: FailureSchema.optional(),
    })
    .openapi('File');

  const UploadInstructions = z
    .discriminatedUnion('mode', [
      z.object({
        mode: z.literal('single'),
        method: z.literal('PUT'),
        url: z.string().openapi({ description: 'PUT the whole file here (no authorization header; the URL is signed).' }),
        expires_at: z.string(),
      }),
      z.object({
        mode: z.literal('multipart'),
        method: z.literal('PUT'),
        part_size: z.number().int(),
        parts: z.array(
          z.object({
            part_number: z.number().int(),
            size: z.number().int().openapi({ description: 'Bytes of this part: `part_size`, except the last.' }),
            url: z.string().openapi({ description: 'PUT this part here; keep the ETag response header for complete.' }),
          }),
        ),
        expires_at: z.string(),
      }),
    ])
    .openapi('FileUpload', { description: `Presigned upload URLs, valid ${limits.uploadUrlTtlS} s.` });

  const InitiateResponse = FileResource.extend({ upload: UploadInstructions }).openapi('FileInitiateResponse');

  const CompleteRequest = z
    .strictObject({
      file_id: UuidSchema,
      parts: z
        .array(
          z.strictObject({
            part_number: z.number().int().min(1).max(MAX_PARTS),
            etag: z.string().min(1).max(256).openapi({ description: 'The ETag header the storage server returned for the part PUT.' }),
          }),
        )
        .min(1)
        .max(MAX_PARTS)
        .optional()
        .openapi({ description: 'Multipart uploads only: every part, each with its ETag.' }),
    })
    .openapi('FileCompleteRequest');

  const DownloadResource = FileResource.extend({
    download: z
      .object({
        url: z.string().openapi({ description: 'GET the file here; served with the original filename as Content-Disposition.' }),
        expires_at: z.string(),
      })
      .optional()
      .openapi({ description: `Present once completed; valid ${limits.downloadUrlTtlS} s.` }),
  }).openapi('FileWithDownload');

  const VerificationProblem = ProblemSchema.extend({
    file_id: z.string().uuid(),
    file_status: z.literal('failed'),
    reason: z.enum(['size_mismatch', 'checksum_mismatch']),
  }).openapi('FileVerificationProblem');

  const FileIdParams = z.strictObject({ file_id: UuidSchema.describe('The file id returned by initiate') });

  return { InitiateRequest, InitiateResponse, CompleteRequest, FileResource, DownloadResource, FileIdParams, VerificationProblem };
}

export type FilesSchemas = ReturnType<typeof filesSchemas>;
