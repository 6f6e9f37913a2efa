import { fileUnusableReason, type FileCatalog, type FileInfo } from '@hub/domain';
import { ProblemError } from '@hub/platform';

/**
 * For the message accept path (REST and WebSocket): the details a file
 * message carries, or a 422 problem naming `payload.file_id` when the file
 * may not be sent in this conversation (unknown, not completed, or uploaded
 * for another conversation or none).
 */
export async function resolveMessageFile(catalog: FileCatalog, conversationId: string, fileId: string): Promise<FileInfo> {
  const file = await catalog.getFile(fileId);
  const why = fileUnusableReason(file, conversationId);
  if (why || !file) {
    const message = why ?? 'no such file in this conversation';
    throw new ProblemError('unprocessable', `payload.file_id: ${message}`, { errors: [{ field: 'payload.file_id', message }] });
  }
  return { file_id: file.file_id, filename: file.filename, size: file.size, content_type: file.content_type, sha256: file.sha256 };
}
