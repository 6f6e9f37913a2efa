import {
  FILE_COMPLETED,
  makeEnvelope,
  newId,
  Topics,
  principalRef,
  type FileEvent,
  type FileFailureReason,
  type Principal,
} from '@hub/domain';
import { inSpan, ProblemError, PublishUnavailableError, SpanAttr, type EventPublisher, type Logger, type ObjectStore } from '@hub/platform';
import type { FilesMetrics } from './files-metrics';
import type { ConversationMembers } from './ports/conversation-members';
import type { FileRecord, FileRepository } from './ports/file-repository';
import { partSpans, planUpload } from './upload-plan';
import { verifyObject } from './verify-object';

/**
 * Object key layout (only ids, never client-chosen text):
 *   uploads/<file_id>             where a single PUT lands
 *   files/<file_id>/<attempt_id>  a verifier's copy of it; the one that verified is served
 *   files/<file_id>/multipart     an assembled multipart upload
 */
export const ObjectKeys = {
  uploads: 'uploads/',
  upload: (fileId: string) => `uploads/${fileId}`,
  fileDir: (fileId: string) => `files/${fileId}/`,
  attempt: (fileId: string, attemptId: string) => `files/${fileId}/${attemptId}`,
  multipart: (fileId: string) => `files/${fileId}/multipart`,
  files: 'files/',
} as const;

export interface FileLimits {
  maxSize: number;
  multipartThreshold: number;
  partSize: number;
  uploadUrlTtlS: number;
  downloadUrlTtlS: number;
}

/** An initiate request after edge validation (filename sanitised, content type checked). */
export interface InitiateInput {
  filename: string;
  size: number;
  content_type: string;
  sha256: string;
  conversation_id?: string;
}

export type UploadInstructions =
  | { mode: 'single'; method: 'PUT'; url: string; expires_at: string }
  | {
      mode: 'multipart';
      method: 'PUT';
      part_size: number;
      parts: Array<{ part_number: number; size: number; url: string }>;
      expires_at: string;
    };

/** A file as the API shows it. */
export interface FileResource {
  file_id: string;
  status: FileRecord['status'];
  filename: string;
  size: number;
  content_type: string;
  sha256: string;
  conversation_id?: string;
  uploaded_by: string;
  created_at: string;
  completed_at?: string;
  failure?: { reason: FileFailureReason; detail: string };
}

export interface FileServiceDeps {
  files: FileRepository;
  objects: ObjectStore;
  conversations: ConversationMembers;
  events: EventPublisher;
  logger: Logger;
  metrics: FilesMetrics;
  limits: FileLimits;
  now?: () => Date;
}

/**
 * The files use cases: sign uploads, verify and complete them, and hand out
 * downloads to those who may see a file. File bytes never pass through
 * here except when read back once to verify the checksum.
 */
export class FileService {
  private readonly now: () => Date;

  constructor(private readonly d: FileServiceDeps) {
    this.now = d.now ?? (() => new Date());
  }

  async initiate(principal: Principal, input: InitiateInput): Promise<{ file: FileResource; upload: UploadInstructions }> {
    if (input.conversation_id !== undefined) await this.requireConversation(principal, input.conversation_id);
    const fileId = newId();
    const plan = planUpload(input.size, this.d.limits);
    const created = this.now();
    const expires = new Date(created.getTime() + this.d.limits.uploadUrlTtlS * 1000);
    const key = plan.mode === 'multipart' ? ObjectKeys.multipart(fileId) : ObjectKeys.upload(fileId);
    const uploadId = plan.mode === 'multipart' ? await this.d.objects.startMultipart(key, input.content_type) : undefined;
    const record: FileRecord = {
      file_id: fileId,
      status: 'uploading',
      filename: input.filename,
      size: input.size,
      content_type: input.content_type,
      sha256: input.sha256,
      conversation_id: input.conversation_id,
      uploaded_by: principalRef(principal),
      upload:
        plan.mode === 'multipart'
          ? { mode: 'multipart', key, upload_id: uploadId!, part_size: plan.partSize, part_count: plan.partCount }
          : { mode: 'single', key },
      created_at: created,
      upload_expires_at: expires,
    };
    try {
      await this.d.files.insert(record);
    } catch (err) {
      if (uploadId) await this.d.objects.abortMultipart(key, uploadId).catch(() => {});
      throw err;
    }

    const ttl = this.d.limits.uploadUrlTtlS;
    let upload: UploadInstructions;
    if (plan.mode === 'multipart') {
      const parts = await Promise.all(
        partSpans(input.size, plan.partSize).map(async (span) => ({
          part_number: span.partNumber,
          size: span.size,
          url: await this.d.objects.presignPart(key, uploadId!, span.partNumber, ttl),
        })),
      );
      upload = { mode: 'multipart', method: 'PUT', part_size: plan.partSize, parts, expires_at: expires.toISOString() };
    } else {
      upload = { mode: 'single', method: 'PUT', url: await this.d.objects.presignPut(key, ttl), expires_at: expires.toISOString() };
    }
    this.d.metrics.initiated.inc({ mode: plan.mode });
    this.d.logger.info({ file_id: fileId, size: input.size, mode: plan.mode, uploaded_by: record.uploaded_by }, 'upload initiated');
    return { file: toResource(record), upload };
  }

  /**
   * Completes an upload: assembles multipart uploads, verifies size and
   * SHA-256, then records the outcome and publishes the FileEvent.
   * Idempotent: a completed file answers again with its metadata, a failed
   * one with the same failure; only the uploader may complete.
   */
  async complete(principal: Principal, fileId: string, parts?: Array<{ part_number: number; etag: string }>): Promise<FileResource> {
    const rec = await this.d.files.get(fileId);
    if (!rec || rec.uploaded_by !== principalRef(principal)) throw notYourUpload(fileId);
    if (rec.status !== 'uploading') return this.settled(rec);

    // The key this attempt verifies: the assembled multipart object, or a private copy of the single PUT.
    let candidate: string;
    const upload = rec.upload;
    if (upload.mode === 'multipart') {
      if (!parts)
        throw new ProblemError(
          'validation_failed',
          'body: parts: required for a multipart upload: the part_number and ETag of every part',
          { errors: [{ field: 'parts', message: 'required for a multipart upload' }] },
        );
      await this.completeMultipart(rec, upload, parts);
      candidate = upload.key;
    } else {
      if (parts)
        throw new ProblemError('validation_failed', 'body: parts: only for multipart uploads; this file was uploaded with a single PUT', {
          errors: [{ field: 'parts', message: 'only for multipart uploads' }],
        });
      candidate = ObjectKeys.attempt(fileId, newId());
      if (!(await this.copied(upload.key, candidate))) return this.notUploadedUnlessSettled(fileId);
    }
    // Only a single PUT's copy belongs to this attempt alone; the assembled multipart object is shared by concurrent completes.
    const ownCopy = upload.mode === 'single' ? candidate : undefined;

    const started = performance.now();
    const result = await verifyObject(this.d.objects, candidate, rec, (n) => this.d.metrics.verifiedBytes.inc(n));
    this.d.metrics.verifyDuration.observe((performance.now() - started) / 1000);
    if (result.ok === 'missing') return this.notUploadedUnlessSettled(fileId);
    const at = this.now();
    if (result.ok === false) {
      if (await this.d.files.markFailed(fileId, at, { reason: result.reason, detail: result.detail })) {
        this.d.metrics.completed.inc({ outcome: result.reason });
        this.d.logger.info({ file_id: fileId, reason: result.reason }, 'upload failed verification; removing its objects');
        // Removed after the status says failed, so they are never served; housekeeping retries a failed removal.
        await this.removeQuietly(fileId, [upload.key, candidate]);
      } else if (ownCopy) {
        await this.removeQuietly(fileId, [ownCopy]);
      }
      return this.settled(await this.reread(fileId));
    }
    const eventId = newId();
    if (await this.d.files.markCompleted(fileId, at, eventId, candidate)) {
      this.d.metrics.completed.inc({ outcome: 'completed' });
      this.d.logger.info({ file_id: fileId, size: rec.size }, 'upload completed');
      // The upload, and copies left by attempts that lost or crashed: only the verified copy stays.
      if (ownCopy)
        await this.removeQuietly(fileId, [
          upload.key,
          ...(await this.d.objects.list(ObjectKeys.fileDir(fileId))).filter((k) => k !== ownCopy),
        ]);
      return this.settled({
        ...rec,
        status: 'completed',
        completed_at: at,
        event_id: eventId,
        event_published: false,
        object_key: candidate,
      });
    }
    if (ownCopy) await this.removeQuietly(fileId, [ownCopy]);
    return this.settled(await this.reread(fileId));
  }

  /** Metadata and, once completed, a presigned download URL; 404 unless the caller uploaded it or is in its conversation. */
  async get(principal: Principal, fileId: string): Promise<FileResource & { download?: { url: string; expires_at: string } }> {
    const rec = await this.d.files.get(fileId);
    if (!rec || !(await this.maySee(principal, rec))) throw new ProblemError('not_found', `file ${fileId} not found`);
    const resource = toResource(rec);
    if (rec.status !== 'completed') return resource;
    const ttl = this.d.limits.downloadUrlTtlS;
    const url = await this.d.objects.presignGet(rec.object_key!, ttl, { downloadName: rec.filename, contentType: rec.content_type });
    return { ...resource, download: { url, expires_at: new Date(this.now().getTime() + ttl * 1000).toISOString() } };
  }

  /** Publishes a completed file's event (again, with the same envelope id) and records that the broker has it. */
  publishCompleted(rec: FileRecord): Promise<void> {
    // `file complete`: the file's trace (its hub.files.v1 record and the webhook deliveries it makes continue it).
    return inSpan(
      'file complete',
      {
        'hub.file_id': rec.file_id,
        'hub.file_size': rec.size,
        ...(rec.conversation_id ? { [SpanAttr.conversationId]: rec.conversation_id } : {}),
      },
      () => this.publishCompletedIn(rec),
    );
  }

  private async publishCompletedIn(rec: FileRecord): Promise<void> {
    const event: FileEvent = {
      status: 'completed',
      file_id: rec.file_id,
      filename: rec.filename,
      size: rec.size,
      content_type: rec.content_type,
      sha256: rec.sha256,
      uploaded_by: rec.uploaded_by,
      completed_at: (rec.completed_at ?? this.now()).toISOString(),
      ...(rec.conversation_id ? { conversation_id: rec.conversation_id } : {}),
    };
    try {
      await this.d.events.publish({
        topic: Topics.files,
        key: rec.file_id,
        envelope: makeEnvelope(FILE_COMPLETED, event, { id: rec.event_id, occurredAt: rec.completed_at }),
      });
    } catch (err) {
      this.d.metrics.eventPublishFailures.inc();
      throw err;
    }
    await this.d.files.markEventPublished(rec.file_id);
  }

  private async settled(rec: FileRecord): Promise<FileResource> {
    if (rec.status === 'failed') {
      throw new ProblemError(
        'unprocessable',
        `file ${rec.file_id} failed verification: ${rec.failure?.detail ?? 'unknown reason'}; the object was removed, start a new upload`,
        {
          extra: { file_id: rec.file_id, file_status: 'failed', reason: rec.failure?.reason },
        },
      );
    }
    if (rec.status === 'completed' && rec.event_published !== true) {
      try {
        await this.publishCompleted(rec);
      } catch (err) {
        if (!(err instanceof PublishUnavailableError)) throw err;
        throw new ProblemError(
          'unavailable',
          `file ${rec.file_id} is verified but its event could not be published yet; retry the complete`,
          {
            headers: { 'Retry-After': '1' },
            extra: { file_id: rec.file_id, file_status: 'completed' },
          },
        );
      }
    }
    return toResource(rec);
  }

  private async completeMultipart(
    rec: FileRecord,
    upload: Extract<FileRecord['upload'], { mode: 'multipart' }>,
    parts: Array<{ part_number: number; etag: string }>,
  ): Promise<void> {
    const numbers = parts.map((p) => p.part_number).sort((a, b) => a - b);
    const expected = Array.from({ length: upload.part_count }, (_, i) => i + 1);
    if (numbers.length !== expected.length || numbers.some((n, i) => n !== expected[i])) {
      throw new ProblemError(
        'validation_failed',
        `body: parts: list each of the ${upload.part_count} parts (part_number 1 to ${upload.part_count}) exactly once`,
        {
          errors: [{ field: 'parts', message: `expected part numbers 1..${upload.part_count}, got ${numbers.join(', ') || 'none'}` }],
        },
      );
    }
    try {
      await this.d.objects.completeMultipart(
        upload.key,
        upload.upload_id,
        [...parts].sort((a, b) => a.part_number - b.part_number).map((p) => ({ partNumber: p.part_number, etag: p.etag })),
      );
    } catch (err) {
      // A concurrent complete may have assembled it already: then the object exists and is verified below.
      if (await this.d.objects.stat(upload.key)) return;
      const code = (err as { code?: string }).code;
      if (code === 'InvalidPart' || code === 'InvalidPartOrder' || code === 'EntityTooSmall' || code === 'NoSuchUpload') {
        throw new ProblemError(
          'validation_failed',
          `body: parts: the storage server refused to assemble the parts (${code}): ${s3Explanation(code)}`,
          {
            errors: [{ field: 'parts', message: s3Explanation(code) }],
            extra: { storage_code: code },
          },
        );
      }
      throw err;
    }
  }

  private async requireConversation(principal: Principal, conversationId: string): Promise<void> {
    const members = await this.d.conversations.membersOf(conversationId);
    // Business systems act for any user; end users only in their own conversations.
    if (!members || (principal.kind === 'user' && !members.includes(principal.subject))) {
      throw new ProblemError('not_found', `conversation ${conversationId} not found`, {
        errors: [{ field: 'conversation_id', message: 'no such conversation of yours' }],
      });
    }
  }

  private async maySee(principal: Principal, rec: FileRecord): Promise<boolean> {
    if (rec.uploaded_by === principalRef(principal)) return true;
    if (principal.kind !== 'user' || !rec.conversation_id) return false;
    const members = await this.d.conversations.membersOf(rec.conversation_id);
    return members?.includes(principal.subject) ?? false;
  }

  /** False when the source vanished meanwhile (a concurrent complete finished and removed it). */
  private async copied(from: string, to: string): Promise<boolean> {
    try {
      await this.d.objects.copy(from, to);
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'NoSuchKey' || code === 'NotFound') return false;
      throw err;
    }
  }

  /** No bytes to verify: either nothing was uploaded yet (409), or a concurrent complete already settled the file. */
  private async notUploadedUnlessSettled(fileId: string): Promise<FileResource> {
    const now = await this.reread(fileId);
    if (now.status !== 'uploading') return this.settled(now);
    throw notUploaded(fileId);
  }

  private async removeQuietly(fileId: string, keys: string[]): Promise<void> {
    for (const key of new Set(keys)) {
      await this.d.objects
        .remove(key)
        .catch((err: unknown) =>
          this.d.logger.warn(
            { file_id: fileId, key, err: { message: (err as Error).message } },
            'removing an object failed; housekeeping will retry',
          ),
        );
    }
  }

  private async reread(fileId: string): Promise<FileRecord> {
    const rec = await this.d.files.get(fileId);
    // Removed between our read and now: only housekeeping does that, to abandoned uploads.
    if (!rec) throw new ProblemError('not_found', `file ${fileId} not found (the upload was abandoned and removed)`);
    return rec;
  }
}

function notUploaded(fileId: string): ProblemError {
  return new ProblemError('conflict', `nothing has been uploaded for file ${fileId} yet: PUT the file to its upload URL, then complete`, {
    extra: { file_id: fileId, file_status: 'uploading' },
  });
}

function notYourUpload(fileId: string): ProblemError {
  return new ProblemError('not_found', `no upload ${fileId} of yours: only the uploader completes an upload`, {
    errors: [{ field: 'file_id', message: 'unknown file, or uploaded by someone else' }],
  });
}

function s3Explanation(code: string): string {
  switch (code) {
    case 'InvalidPart':
      return 'a part was not uploaded, or its ETag does not match (use the ETag header of each part PUT response)';
    case 'InvalidPartOrder':
      return 'parts must be listed in ascending part_number order';
    case 'EntityTooSmall':
      return 'every part but the last must be the part_size given at initiate';
    default:
      return 'the multipart upload no longer exists (expired or aborted); start a new upload';
  }
}

export function toResource(rec: FileRecord): FileResource {
  return {
    file_id: rec.file_id,
    status: rec.status,
    filename: rec.filename,
    size: rec.size,
    content_type: rec.content_type,
    sha256: rec.sha256,
    ...(rec.conversation_id ? { conversation_id: rec.conversation_id } : {}),
    uploaded_by: rec.uploaded_by,
    created_at: rec.created_at.toISOString(),
    ...(rec.completed_at ? { completed_at: rec.completed_at.toISOString() } : {}),
    ...(rec.failure ? { failure: rec.failure } : {}),
  };
}
