import type { WebSocket } from 'ws';
import type { Principal } from '@hub/domain';
import { CloseCodes } from './close-codes';
import { errorFrame, type ServerFrame } from './frames';
import { TokenBucket } from './token-bucket';

export interface ConnectionLimits {
  sendBufferBytes: number;
  ratePerS: number;
  rateBurst: number;
}

export type RateVerdict = 'ok' | 'dropped' | 'closed';

/**
 * One authenticated WebSocket. Owns the per-connection protections: the
 * bounded send buffer (a client that does not read is cut off with 4003
 * rather than growing the node's memory), the inbound frame rate, and
 * liveness (the last time the client sent anything).
 */
export class Connection {
  lastSeen: number;
  closed = false;
  readonly user: string;
  readonly sessionId: string;
  private readonly bucket: TokenBucket;
  private refused = 0;

  constructor(
    readonly id: string,
    readonly principal: Extract<Principal, { kind: 'user' }>,
    /** When the access token expires (ms since epoch); the socket closes with 4010 then. */
    readonly expiresAt: number,
    private readonly ws: WebSocket,
    private readonly limits: ConnectionLimits,
    now: number,
    private readonly onSlowConsumer: () => void = () => {},
    private readonly onSent: (op: ServerFrame['op']) => void = () => {},
  ) {
    this.user = principal.subject;
    this.sessionId = principal.sessionId;
    this.lastSeen = now;
    this.bucket = new TokenBucket(limits.ratePerS, limits.rateBurst, now);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Queues a frame; false when the socket is closed or was just closed for overflowing its buffer. */
  send(frame: ServerFrame): boolean {
    if (this.closed) return false;
    const data = JSON.stringify(frame);
    if (this.ws.bufferedAmount + data.length > this.limits.sendBufferBytes) {
      this.onSlowConsumer();
      this.close(CloseCodes.slowConsumer, 'send buffer full: reconnect and resume');
      return false;
    }
    this.ws.send(data);
    this.onSent(frame.op);
    return true;
  }

  /**
   * Charges one inbound frame. Past the rate the frame is dropped and the
   * client told once; a client that keeps going for another full burst is
   * disconnected (4008).
   */
  admit(now: number): RateVerdict {
    this.lastSeen = now;
    if (this.bucket.take(now)) {
      this.refused = 0;
      return 'ok';
    }
    this.refused += 1;
    if (this.refused === 1)
      this.send(errorFrame('rate_limited', `more than ${this.limits.ratePerS} frames per second; frames are dropped until you slow down`));
    if (this.refused > this.limits.rateBurst) {
      this.close(CloseCodes.rateLimited, 'frame rate limit exceeded');
      return 'closed';
    }
    return 'dropped';
  }

  /**
   * Closes with a code. The close frame queues behind what is buffered, so
   * a slow reader still learns why; a peer that does not complete the
   * closing handshake within 5 s is cut.
   */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 5_000).unref();
  }
}
