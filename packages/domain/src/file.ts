import { z } from 'zod';
import type { FileInfo } from './message';

/** `uploading` until the client completes; then `completed`, or `failed` when size or checksum did not match. */
export const FILE_STATUSES = ['uploading', 'completed', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** Why a completed upload was refused. */
export type FileFailureReason = 'size_mismatch' | 'checksum_mismatch';

/** SHA-256 as 64 hex digits, lower-cased so the same digest always compares equal. */
export const Sha256HexSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, 'must be a SHA-256 digest: 64 hexadecimal digits')
  .transform((s) => s.toLowerCase());

/** Envelope type of FileEvents on hub.files.v1 (key: file_id). */
export const FILE_COMPLETED = 'file.completed';

/** Payload of `file.completed`: an upload whose size and SHA-256 were verified. */
export interface FileEvent extends FileInfo {
  status: 'completed';
  conversation_id?: string;
  /** Who uploaded it: `user:alice` or `client:<client_id>`. */
  uploaded_by: string;
  completed_at: string;
}

/** What other services may read about a file (the accept path of file messages). */
export interface FileView extends FileInfo {
  status: FileStatus;
  conversation_id?: string;
  uploaded_by: string;
}

/**
 * Port: read access to file metadata for other services (the message
 * accept path resolves `file_id` through it). Undefined when no such file.
 */
export interface FileCatalog {
  getFile(fileId: string): Promise<FileView | undefined>;
}

/**
 * May this file be attached to a message in `conversationId`? Only a
 * completed file uploaded for that conversation: its members are exactly
 * who may download it, so the recipients can fetch what they are sent.
 * Returns why not, or undefined when allowed.
 */
export function fileUnusableReason(file: FileView | undefined, conversationId: string): string | undefined {
  // Files of other conversations read as absent: a file id says nothing about someone else's conversation.
  if (!file || (file.conversation_id !== undefined && file.conversation_id !== conversationId)) return 'no such file in this conversation';
  if (file.conversation_id === undefined)
    return 'the file was not uploaded for a conversation (initiate the upload with this conversation_id)';
  if (file.status !== 'completed') return `the file is ${file.status}, not completed`;
  return undefined;
}
