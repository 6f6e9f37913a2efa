import type { Readable } from 'node:stream';

/**
 * Port: object storage reached by clients directly through presigned URLs.
 * The hub never proxies file bytes; it signs URLs, verifies what arrived
 * and cleans up.
 */
export interface ObjectStore {
  ensureBucket(): Promise<void>;
  presignPut(key: string, expirySeconds: number): Promise<string>;
  presignGet(key: string, expirySeconds: number, opts?: { downloadName?: string; contentType?: string }): Promise<string>;
  startMultipart(key: string, contentType?: string): Promise<string>;
  presignPart(key: string, uploadId: string, partNumber: number, expirySeconds: number): Promise<string>;
  completeMultipart(key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<void>;
  abortMultipart(key: string, uploadId: string): Promise<void>;
  stat(key: string): Promise<{ size: number; etag: string; contentType?: string } | undefined>;
  read(key: string): Promise<Readable>;
  remove(key: string): Promise<void>;
  /** Server-side copy: the bytes do not pass through the caller. */
  copy(fromKey: string, toKey: string): Promise<void>;
  list(prefix: string): Promise<string[]>;
  /** Multipart uploads started under `prefix` and neither completed nor aborted (for housekeeping). */
  listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]>;
}

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}
