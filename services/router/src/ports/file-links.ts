import type { FileInfo } from '@hub/domain';

/**
 * Port: a download URL for a stored file, valid long enough for a provider
 * (or the recipient, when only a link can be sent) to fetch it. Undefined
 * when the file is not (or no longer) stored.
 */
export interface FileLinks {
  downloadUrl(file: FileInfo): Promise<string | undefined>;
}
