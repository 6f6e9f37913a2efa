import type { FrameErrorCode } from './frames';

/** Thrown by a frame handler to answer with an `error` frame; the socket stays open. */
export class FrameError extends Error {
  constructor(
    readonly code: FrameErrorCode,
    message: string,
    readonly extra: { client_msg_id?: string } = {},
  ) {
    super(message);
    this.name = 'FrameError';
  }
}
