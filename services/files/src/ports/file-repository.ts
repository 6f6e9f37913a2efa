import type { FileFailureReason, FileStatus } from '@hub/domain';

/**
 * Where the client's bytes go. A single PUT lands at `key`, is copied to a
 * key of the verifier's own and verified there, so a client re-using its
 * still-valid URL after completion cannot change what is served. A
 * multipart upload is assembled at `key`; its part URLs die on completion.
 */
export type UploadState =
  { mode: 'single'; key: string } | { mode: 'multipart'; key: string; upload_id: string; part_size: number; part_count: number };

/** A file's metadata as the files service keeps it (MongoDB `files`). */
export interface FileRecord {
  file_id: string;
  status: FileStatus;
  /** Sanitised original name, offered back as the download name. */
  filename: string;
  size: number;
  content_type: string;
  sha256: string;
  conversation_id?: string;
  /** `user:<username>` or `client:<client_id>`. */
  uploaded_by: string;
  upload: UploadState;
  /** The verified object that downloads are served from; set on completion. */
  object_key?: string;
  created_at: Date;
  /** When the presigned upload URLs stop working. */
  upload_expires_at: Date;
  completed_at?: Date;
  failed_at?: Date;
  failure?: { reason: FileFailureReason; detail: string };
  /** Envelope id of the FileEvent, fixed when the file completes so a re-publish keeps it. */
  event_id?: string;
  /** False between completion and the broker's acknowledgement of the FileEvent. */
  event_published?: boolean;
}

/**
 * Port: file metadata. Leaving `uploading` is a decision taken at most once
 * per file (completed, failed, or removed as abandoned): concurrent completes
 * and housekeeping never overwrite each other, the loser sees `false` and
 * re-reads.
 */
export interface FileRepository {
  insert(record: FileRecord): Promise<void>;
  get(fileId: string): Promise<FileRecord | undefined>;
  /** uploading → completed, served from `objectKey`; false when the file is no longer uploading. */
  markCompleted(fileId: string, at: Date, eventId: string, objectKey: string): Promise<boolean>;
  /** uploading → failed; false when the file is no longer uploading. */
  markFailed(fileId: string, at: Date, failure: { reason: FileFailureReason; detail: string }): Promise<boolean>;
  markEventPublished(fileId: string): Promise<void>;
  /** Files still uploading, or failed, that were created before `cutoff`; oldest first. */
  findAbandoned(cutoff: Date, limit: number): Promise<FileRecord[]>;
  /** Completed files whose FileEvent was not acknowledged, completed before `cutoff`. */
  findUnpublished(cutoff: Date, limit: number): Promise<FileRecord[]>;
  /**
   * Reserves an abandoned file for removal. For an `uploading` file this is
   * a decision like completing it (at most one wins); false when the file
   * was completed or failed meanwhile. Once claimed, the file reads as gone.
   */
  claimAbandoned(fileId: string, status: FileStatus): Promise<boolean>;
  /** Deletes the record (after its objects are gone). */
  remove(fileId: string): Promise<void>;
}
