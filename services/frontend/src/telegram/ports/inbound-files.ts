import type { FileInfo } from '@hub/domain';

/**
 * Port: stores a file a Telegram user sent as a hub file of the
 * conversation, uploaded by that user, so it can travel as a file message.
 */
export interface InboundFiles {
  importFile(input: {
    body: ReadableStream<Uint8Array>;
    filename: string;
    contentType: string;
    size?: number;
    conversationId: string;
    username: string;
  }): Promise<FileInfo>;
}
