import { z } from 'zod';
import { authStackConfigSchema } from '@hub/identity';
import {
  baseConfigSchema,
  env,
  loadConfig,
  kafkaConfigSchema,
  mongoConfigSchema,
  etcdConfigSchema,
  redisConfigSchema,
  s3ConfigSchema,
  authConfigSchema,
  corsConfigSchema,
} from '@hub/platform';

const MiB = 1024 * 1024;
/** S3's bounds: parts of 5 MiB to 5 GiB (the last may be smaller); a single PUT up to 5 GiB. */
const S3_MIN_PART = 5 * MiB;
const S3_MAX_SINGLE = 5 * 1024 * MiB;

const mimeList = (def: string) =>
  z
    .string()
    .default(def)
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((t) => /^(\*|[a-z0-9!#$&^_.+-]+)\/(\*|[a-z0-9!#$&^_.+-]+)$/.test(t)),
      'comma-separated type/subtype patterns (type/* and */* allowed)',
    );

export const filesConfigSchema = baseConfigSchema
  .extend(kafkaConfigSchema.shape)
  .extend(mongoConfigSchema.shape)
  .extend(etcdConfigSchema.shape)
  .extend(redisConfigSchema.shape)
  .extend(s3ConfigSchema.shape)
  .extend(authConfigSchema.shape)
  .extend(authStackConfigSchema.shape)
  .extend(corsConfigSchema.shape)
  .extend({
    FILES_HOST: env.host(),
    FILES_PORT: env.port(8084),
    /** Largest file a client may declare, in bytes (default 100 MiB). */
    FILES_MAX_SIZE_BYTES: env.positiveInt(100 * MiB),
    /** Files larger than this are uploaded in parts (multipart), in bytes (default 64 MiB); at most 5 GiB. */
    FILES_MULTIPART_THRESHOLD_BYTES: env
      .positiveInt(64 * MiB)
      .refine((n) => n <= S3_MAX_SINGLE, 'at most 5 GiB (the largest single PUT S3 accepts)'),
    /** Size of each part of a multipart upload, in bytes (default 16 MiB; at least 5 MiB, S3's minimum). Grows for huge files so there are never more than 10,000 parts. */
    FILES_PART_SIZE_BYTES: env.positiveInt(16 * MiB).refine((n) => n >= S3_MIN_PART && n <= S3_MAX_SINGLE, 'between 5 MiB and 5 GiB'),
    /** Content types accepted, comma-separated; a `*` subtype (`image/*`) matches a family, `*\/*` everything (default: all). */
    FILES_ALLOWED_CONTENT_TYPES: mimeList('*/*'),
    /** Content types refused even when allowed above (default: executables and scripts). */
    FILES_DENIED_CONTENT_TYPES: mimeList(
      'application/x-msdownload,application/x-dosexec,application/x-msi,application/x-executable,application/x-sharedlib,application/x-mach-binary,application/x-sh,application/x-bat,application/vnd.microsoft.portable-executable',
    ),
    /** How long presigned upload URLs (PUT and parts) stay valid, in seconds. */
    FILES_UPLOAD_URL_TTL_S: env.positiveInt(900),
    /** How long presigned download URLs stay valid, in seconds. */
    FILES_DOWNLOAD_URL_TTL_S: env.positiveInt(3600),
    /** Uploads not completed this long after initiate are removed (object, multipart upload and metadata), in seconds; must exceed FILES_UPLOAD_URL_TTL_S. */
    FILES_ABANDONED_UPLOAD_TTL_S: env.positiveInt(24 * 3600),
    /** How often the housekeeping worker looks for abandoned uploads. */
    FILES_HOUSEKEEPING_INTERVAL_MS: env.durationMs(60_000),
    /** Largest JSON body the API reads (a multipart complete lists every part's ETag). */
    FILES_MAX_BODY_BYTES: env.positiveInt(1024 * 1024),
  })
  .superRefine((c, ctx) => {
    // A client may still be uploading with a valid URL; removing its upload first would leave an orphan object.
    if (c.FILES_ABANDONED_UPLOAD_TTL_S <= c.FILES_UPLOAD_URL_TTL_S) {
      ctx.addIssue({
        code: 'custom',
        path: ['FILES_ABANDONED_UPLOAD_TTL_S'],
        message: `must be greater than FILES_UPLOAD_URL_TTL_S (${c.FILES_UPLOAD_URL_TTL_S})`,
      });
    }
  });

export type FilesConfig = z.infer<typeof filesConfigSchema>;

export function loadFilesConfig(source: Record<string, string | undefined> = process.env): FilesConfig {
  return loadConfig(filesConfigSchema, source);
}
